"""Occupancy rows are kept by triggers, so every writer (actions, generation, raw SQL,
admin) is covered and the exclusion constraints on appointments_occupancy see group
classes, appointments and both kinds of held places at once."""

from django.db import migrations

HOLDING = "('confirmed', 'attended', 'no_show')"

FORWARD = f"""
CREATE FUNCTION appointments_occupy_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM appointments_occupancy WHERE session_id = OLD.id;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.status = 'scheduled' THEN
    INSERT INTO appointments_occupancy
           (organization_id, period, instructor_id, room_id, spots, session_id)
    VALUES (NEW.organization_id, tstzrange(NEW.starts_at, NEW.ends_at), NEW.instructor_id,
            NEW.room_id, int8range(NULL, NULL), NEW.id);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER appointments_occupy_session_write
  AFTER INSERT OR DELETE ON scheduling_classsession
  FOR EACH ROW EXECUTE FUNCTION appointments_occupy_session();
-- Not on booked_count / waiting_count changes: the booking hot path pays nothing here.
CREATE TRIGGER appointments_occupy_session_change
  AFTER UPDATE OF status, starts_at, ends_at, room_id, instructor_id ON scheduling_classsession
  FOR EACH ROW EXECUTE FUNCTION appointments_occupy_session();

CREATE FUNCTION appointments_occupy_appointment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM appointments_occupancy WHERE appointment_id = OLD.id;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.status = 'scheduled' THEN
    INSERT INTO appointments_occupancy
           (organization_id, period, instructor_id, room_id, spots, appointment_id)
    VALUES (NEW.organization_id, tstzrange(NEW.starts_at, NEW.ends_at), NEW.instructor_id,
            NEW.room_id, int8range(NEW.spot_id, NEW.spot_id + 1), NEW.id);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER appointments_occupy_appointment_write
  AFTER INSERT OR DELETE ON appointments_appointment
  FOR EACH ROW EXECUTE FUNCTION appointments_occupy_appointment();
CREATE TRIGGER appointments_occupy_appointment_change
  AFTER UPDATE OF status, starts_at, ends_at, room_id, spot_id, instructor_id
  ON appointments_appointment
  FOR EACH ROW EXECUTE FUNCTION appointments_occupy_appointment();

CREATE FUNCTION appointments_occupy_booking() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND (OLD.status IN {HOLDING}) = (NEW.status IN {HOLDING})
     AND OLD.starts_at = NEW.starts_at AND OLD.ends_at = NEW.ends_at
     AND OLD.client_id = NEW.client_id THEN
    RETURN NULL;  -- confirmed -> attended and the like: the same occupancy
  END IF;
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM appointments_occupancy WHERE booking_id = OLD.id;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.status IN {HOLDING} THEN
    INSERT INTO appointments_occupancy (organization_id, period, client_id, booking_id)
    VALUES (NEW.organization_id, tstzrange(NEW.starts_at, NEW.ends_at), NEW.client_id, NEW.id);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER appointments_occupy_booking_write
  AFTER INSERT OR DELETE ON bookings_booking
  FOR EACH ROW EXECUTE FUNCTION appointments_occupy_booking();
CREATE TRIGGER appointments_occupy_booking_change
  AFTER UPDATE OF status, starts_at, ends_at, client_id ON bookings_booking
  FOR EACH ROW EXECUTE FUNCTION appointments_occupy_booking();

CREATE FUNCTION appointments_occupy_attendee() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND (OLD.status IN {HOLDING}) = (NEW.status IN {HOLDING})
     AND OLD.starts_at = NEW.starts_at AND OLD.ends_at = NEW.ends_at
     AND OLD.client_id = NEW.client_id THEN
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM appointments_occupancy WHERE attendee_id = OLD.id;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.status IN {HOLDING} THEN
    INSERT INTO appointments_occupancy (organization_id, period, client_id, attendee_id)
    VALUES (NEW.organization_id, tstzrange(NEW.starts_at, NEW.ends_at), NEW.client_id, NEW.id);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER appointments_occupy_attendee_write
  AFTER INSERT OR DELETE ON appointments_attendee
  FOR EACH ROW EXECUTE FUNCTION appointments_occupy_attendee();
CREATE TRIGGER appointments_occupy_attendee_change
  AFTER UPDATE OF status, starts_at, ends_at, client_id ON appointments_attendee
  FOR EACH ROW EXECUTE FUNCTION appointments_occupy_attendee();

-- TRUNCATE fires no row triggers: forget the truncated table's rows explicitly.
CREATE FUNCTION appointments_forget_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('DELETE FROM appointments_occupancy WHERE %I IS NOT NULL', TG_ARGV[0]);
  RETURN NULL;
END $$;
CREATE TRIGGER appointments_forget_sessions AFTER TRUNCATE ON scheduling_classsession
  FOR EACH STATEMENT EXECUTE FUNCTION appointments_forget_truncated('session_id');
CREATE TRIGGER appointments_forget_bookings AFTER TRUNCATE ON bookings_booking
  FOR EACH STATEMENT EXECUTE FUNCTION appointments_forget_truncated('booking_id');
CREATE TRIGGER appointments_forget_appointments AFTER TRUNCATE ON appointments_appointment
  FOR EACH STATEMENT EXECUTE FUNCTION appointments_forget_truncated('appointment_id');
CREATE TRIGGER appointments_forget_attendees AFTER TRUNCATE ON appointments_attendee
  FOR EACH STATEMENT EXECUTE FUNCTION appointments_forget_truncated('attendee_id');

-- What exists already (the classes' own constraints kept it free of overlaps).
INSERT INTO appointments_occupancy
       (organization_id, period, instructor_id, room_id, spots, session_id)
SELECT organization_id, tstzrange(starts_at, ends_at), instructor_id, room_id,
       int8range(NULL, NULL), id
  FROM scheduling_classsession WHERE status = 'scheduled';
INSERT INTO appointments_occupancy (organization_id, period, client_id, booking_id)
SELECT organization_id, tstzrange(starts_at, ends_at), client_id, id
  FROM bookings_booking WHERE status IN {HOLDING};
"""

BACKWARD = """
DROP TRIGGER appointments_occupy_session_write ON scheduling_classsession;
DROP TRIGGER appointments_occupy_session_change ON scheduling_classsession;
DROP TRIGGER appointments_occupy_booking_write ON bookings_booking;
DROP TRIGGER appointments_occupy_booking_change ON bookings_booking;
DROP TRIGGER appointments_occupy_appointment_write ON appointments_appointment;
DROP TRIGGER appointments_occupy_appointment_change ON appointments_appointment;
DROP TRIGGER appointments_occupy_attendee_write ON appointments_attendee;
DROP TRIGGER appointments_occupy_attendee_change ON appointments_attendee;
DROP TRIGGER appointments_forget_sessions ON scheduling_classsession;
DROP TRIGGER appointments_forget_bookings ON bookings_booking;
DROP TRIGGER appointments_forget_appointments ON appointments_appointment;
DROP TRIGGER appointments_forget_attendees ON appointments_attendee;
DROP FUNCTION appointments_forget_truncated();
DROP FUNCTION appointments_occupy_session();
DROP FUNCTION appointments_occupy_appointment();
DROP FUNCTION appointments_occupy_booking();
DROP FUNCTION appointments_occupy_attendee();
DELETE FROM appointments_occupancy;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0001_initial"),
        ("scheduling", "0001_initial"),
        ("bookings", "0002_booking_strike_used_and_attendance_index"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
