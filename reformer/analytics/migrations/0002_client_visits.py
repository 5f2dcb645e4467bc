"""ClientVisits, and the triggers that list a client in VisitsChanged when their bookings
of classes that have started change (see analytics/models.py).

"Started" is judged against the transaction's start plus five minutes, so a refresh that
reads the bookings while a transaction that began just before a class started is still
open cannot miss its change. A class whose instructor, class type or studio changes lists
all its booked clients.
"""

import django.contrib.postgres.fields
import django.db.models.deletion
from django.db import migrations, models


FORWARD = """
CREATE FUNCTION analytics_booking_visits_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.starts_at < now() + interval '5 minutes' THEN
        INSERT INTO analytics_visitschanged (organization_id, client_id)
        VALUES (OLD.organization_id, OLD.client_id);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.starts_at < now() + interval '5 minutes'
       AND (TG_OP = 'INSERT' OR NEW.client_id <> OLD.client_id
            OR OLD.starts_at >= now() + interval '5 minutes') THEN
        INSERT INTO analytics_visitschanged (organization_id, client_id)
        VALUES (NEW.organization_id, NEW.client_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER bookings_booking_visits_added_or_removed
    AFTER INSERT OR DELETE ON bookings_booking
    FOR EACH ROW EXECUTE FUNCTION analytics_booking_visits_changed();
CREATE TRIGGER bookings_booking_visits_changed
    AFTER UPDATE OF status, starts_at, session_id, client_id ON bookings_booking
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
        OR OLD.starts_at IS DISTINCT FROM NEW.starts_at
        OR OLD.session_id IS DISTINCT FROM NEW.session_id
        OR OLD.client_id IS DISTINCT FROM NEW.client_id)
    EXECUTE FUNCTION analytics_booking_visits_changed();

CREATE FUNCTION analytics_session_visits_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics_visitschanged (organization_id, client_id)
    SELECT b.organization_id, b.client_id FROM bookings_booking b
     WHERE b.session_id = NEW.id AND b.starts_at < now() + interval '5 minutes';
    RETURN NULL;
END $$;
CREATE TRIGGER scheduling_classsession_visits_changed
    AFTER UPDATE OF instructor_id, class_type_id, studio_id ON scheduling_classsession
    FOR EACH ROW WHEN (OLD.instructor_id IS DISTINCT FROM NEW.instructor_id
        OR OLD.class_type_id IS DISTINCT FROM NEW.class_type_id
        OR OLD.studio_id IS DISTINCT FROM NEW.studio_id)
    EXECUTE FUNCTION analytics_session_visits_changed();
"""

BACKWARD = """
DROP TRIGGER scheduling_classsession_visits_changed ON scheduling_classsession;
DROP FUNCTION analytics_session_visits_changed();
DROP TRIGGER bookings_booking_visits_changed ON bookings_booking;
DROP TRIGGER bookings_booking_visits_added_or_removed ON bookings_booking;
DROP FUNCTION analytics_booking_visits_changed();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('analytics', '0001_initial'),
        ('bookings', '0003_offline_mark'),
        ('scheduling', '0004_class_type_photo'),
        ('studios', '0002_organization_locale'),
    ]

    operations = [
        migrations.AddField(
            model_name='rollupstate',
            name='visits_before',
            field=models.DateTimeField(null=True),
        ),
        migrations.CreateModel(
            name='VisitsChanged',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('organization_id', models.BigIntegerField()),
                ('client_id', models.BigIntegerField()),
            ],
            options={
                'indexes': [models.Index(fields=['organization_id', 'client_id'], name='analytics_v_organiz_0af3a7_idx')],
            },
        ),
        migrations.CreateModel(
            name='ClientVisits',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('booked_at', django.contrib.postgres.fields.ArrayField(base_field=models.DateTimeField(), default=list, size=None)),
                ('attended_at', django.contrib.postgres.fields.ArrayField(base_field=models.DateTimeField(), default=list, size=None)),
                ('no_show_at', django.contrib.postgres.fields.ArrayField(base_field=models.DateTimeField(), default=list, size=None)),
                ('class_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='scheduling.classtype')),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.membership')),
                ('instructor', models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.membership')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='studios.organization')),
                ('studio', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='studios.studio')),
            ],
            options={
                'indexes': [models.Index(fields=['organization', 'client'], name='analytics_c_organiz_8fb045_idx')],
                'constraints': [models.UniqueConstraint(fields=('organization', 'studio', 'class_type', 'instructor', 'client'), name='client_visits_once', nulls_distinct=False)],
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
