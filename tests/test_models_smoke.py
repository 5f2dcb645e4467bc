def test_it_builds_two_tenants(world):
    assert world.a.organization != world.b.organization
    assert world.a.client.role == "client"
    assert world.a.client.client_profile.organization == world.a.organization
