"""A version on every class row, bumped by the database on each UPDATE.

Live events carry a class's public state read after commit (bookings/class_state.py); two
events can reach a socket out of order (two commits a millisecond apart, two processes), so
each state carries the row's version and a socket never replaces a newer state with an older
one. A trigger, not the model: the guarded counter UPDATEs are raw SQL and every path that
changes a class must bump it. Not a model field, so the raw INSERTs need no new column (new
rows start at 0).
"""

from django.db import migrations

FORWARD = """
ALTER TABLE scheduling_classsession ADD COLUMN live_version bigint NOT NULL DEFAULT 0;
CREATE FUNCTION scheduling_classsession_bump_live_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.live_version := OLD.live_version + 1;
    RETURN NEW;
END $$;
CREATE TRIGGER scheduling_classsession_live_version
    BEFORE UPDATE ON scheduling_classsession
    FOR EACH ROW EXECUTE FUNCTION scheduling_classsession_bump_live_version();
"""

BACKWARD = """
DROP TRIGGER scheduling_classsession_live_version ON scheduling_classsession;
DROP FUNCTION scheduling_classsession_bump_live_version();
ALTER TABLE scheduling_classsession DROP COLUMN live_version;
"""


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0002_waitlist_held_places")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
