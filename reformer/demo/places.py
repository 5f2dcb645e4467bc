"""The organization, its studios, rooms and spots, class types and products."""

from __future__ import annotations

from reformer.billing.models import PackageProduct
from reformer.core.timezones import local_today
from reformer.demo import content
from reformer.demo.world import World
from reformer.scheduling.models import ClassType
from reformer.studios.models import Room, Spot, Studio, StudioPolicy


def create_places(world: World) -> None:
    org = world.organization
    for spec in content.STUDIOS:
        studio = Studio.objects.create(
            organization=org,
            name=spec.name,
            address=spec.address,
            time_zone=spec.time_zone,
            opening_hours=content.OPENING_HOURS,
        )
        StudioPolicy.objects.create(organization=org, studio=studio)
        world.studios[spec.key] = studio
        world.specs[spec.key] = spec
        world.today[spec.key] = local_today(spec.time_zone, world.now)
        for room_spec in spec.rooms:
            world.rooms[room_spec.key] = Room(
                organization=org,
                studio=studio,
                name=room_spec.name,
                capacity=room_spec.spots,
                grid_columns=room_spec.columns,
                grid_rows=room_spec.rows,
            )
    Room.objects.bulk_create(world.rooms.values())
    spots = []
    for spec in content.STUDIOS:
        for room_spec in spec.rooms:
            room = world.rooms[room_spec.key]
            world.spots[room_spec.key] = [
                Spot(
                    organization=org,
                    room=room,
                    label=f"Reformer {number + 1}",
                    column=number % room_spec.columns,
                    row=number // room_spec.columns,
                )
                for number in range(room_spec.spots)
            ]
            spots.extend(world.spots[room_spec.key])
    Spot.objects.bulk_create(spots)


def create_catalogue(world: World) -> None:
    org = world.organization
    for spec in content.CLASS_TYPES:
        world.class_types[spec.code] = ClassType(
            organization=org,
            name=spec.name,
            duration_minutes=spec.duration,
            default_capacity=spec.capacity,
            colour=spec.colour,
            description=spec.description,
            what_to_bring=spec.what_to_bring,
        )
        world.popularity[spec.code] = spec.popularity
    ClassType.objects.bulk_create(world.class_types.values())
    for product in content.PRODUCTS:
        world.products[product.key] = PackageProduct(
            organization=org,
            name=product.name,
            kind=product.kind,
            credits=product.credits,
            validity_days=product.validity_days,
            price=product.price,
            currency="USD",
            weekly_limit=product.weekly_limit,
            description=product.description,
        )
    PackageProduct.objects.bulk_create(world.products.values())
