-- Seed for bench/dashboard.py (parameters: back, ahead, clients).
INSERT INTO studios_organization (name, slug, time_zone, brand_colour, public_description, logo, locale, created_at)
VALUES ('Bench Pilates', 'bench', 'America/New_York', '#3b6e8f', '', '', '', now());

INSERT INTO studios_studio (organization_id, name, address, time_zone, opening_hours, special_hours, active, created_at)
SELECT o.id, s.name, '', s.tz, '{}'::jsonb, '{}'::jsonb, true, now()
FROM studios_organization o,
     (VALUES ('Bench SoHo', 'America/New_York'), ('Bench Brooklyn', 'America/New_York'),
             ('Bench Shoreditch', 'Europe/London')) AS s(name, tz);

INSERT INTO studios_room (organization_id, studio_id, name, capacity, grid_columns, grid_rows)
SELECT s.organization_id, s.id, 'Room ' || r, 15, 5, 3
FROM studios_studio s, generate_series(1, 3) r;

INSERT INTO scheduling_classtype (organization_id, name, duration_minutes, default_capacity,
    colour, description, what_to_bring, photo, active)
SELECT id, 'Class ' || g, 50, 15, '#3b6e8f', '', '', '', true
FROM studios_organization, generate_series(1, 3) g;

-- Users: an owner, a manager (first studio) and the clients.
INSERT INTO accounts_user (password, email, name, phone, photo, notify_class_reminders,
    notify_booking_confirmations, notify_promotional_email, notify_sms, is_active, is_staff,
    is_superuser, date_joined)
SELECT '!', e, n, '', '', true, true, false, false, true, false, false, now()
FROM (VALUES ('owner@bench.test', 'Bench Owner'), ('manager@bench.test', 'Bench Manager')) v(e, n)
UNION ALL
SELECT '!', 'client' || g || '@bench.test', 'Client ' || g, '', '', true, true, false, false,
    true, false, false, now()
FROM generate_series(1, %(clients)s) g;

INSERT INTO accounts_membership (user_id, organization_id, role, active, bio, created_at)
SELECT u.id, o.id,
    CASE u.email WHEN 'owner@bench.test' THEN 'owner' WHEN 'manager@bench.test' THEN 'manager'
    ELSE 'client' END, true, '', now()
FROM accounts_user u, studios_organization o;

INSERT INTO accounts_membership_studios (membership_id, studio_id)
SELECT m.id, (SELECT min(id) FROM studios_studio)
FROM accounts_membership m WHERE m.role = 'manager';

-- Ten classes a day per room, on the hour from 07:00 local.
INSERT INTO scheduling_classsession (organization_id, studio_id, room_id, class_type_id,
    starts_at, ends_at, capacity, booked_count, held_count, waiting_count, status, private_notes,
    cancelled_reason, created_at)
SELECT r.organization_id, r.studio_id, r.id, ct.id,
    ((d + make_interval(hours => 7 + h))::timestamp AT TIME ZONE s.time_zone),
    ((d + make_interval(hours => 7 + h, mins => 50))::timestamp AT TIME ZONE s.time_zone),
    15, 0, 0, 0, CASE WHEN (extract(doy FROM d)::int + h + r.id) %% 97 = 0 THEN 'cancelled'
    ELSE 'scheduled' END, '', '', now()
FROM studios_room r
JOIN studios_studio s ON s.id = r.studio_id
JOIN scheduling_classtype ct ON ct.organization_id = r.organization_id
    AND ct.name = 'Class ' || right(r.name, 1),
    generate_series(current_date - %(back)s, current_date + %(ahead)s, interval '1 day') d,
    generate_series(0, 9) h;

-- About fifteen bookings per class. Clients at one start time are all different
-- (no overlaps); a booking is made up to two weeks before its class.
WITH numbered AS (
    SELECT cs.*, row_number() OVER (ORDER BY cs.starts_at, cs.room_id) AS n,
        dense_rank() OVER (ORDER BY cs.starts_at) AS slot,
        row_number() OVER (PARTITION BY cs.starts_at ORDER BY cs.room_id) - 1 AS lane
    FROM scheduling_classsession cs WHERE cs.status = 'scheduled'
), clients AS (
    SELECT m.id, row_number() OVER (ORDER BY m.id) - 1 AS k
    FROM accounts_membership m WHERE m.role = 'client'
)
INSERT INTO bookings_booking (organization_id, session_id, client_id, starts_at, ends_at,
    status, is_late, credit_returned, source, reference, cancel_reason, created_at)
SELECT s.organization_id, s.id, c.id, s.starts_at, s.ends_at,
    CASE
        WHEN s.starts_at > now() THEN CASE WHEN (s.n + j) %% 10 = 0 THEN 'cancelled' ELSE 'confirmed' END
        WHEN (s.n * 7 + j) %% 100 < 80 THEN 'attended'
        WHEN (s.n * 7 + j) %% 100 < 87 THEN 'no_show'
        WHEN (s.n * 7 + j) %% 100 < 95 THEN 'cancelled'
        ELSE 'late_cancelled' END,
    false, false, 'web', upper(substr(md5(s.id::text || '-' || j), 1, 12)), '',
    s.starts_at - make_interval(hours => ((s.n * 13 + j * 31) %% 336)::int)
FROM numbered s
CROSS JOIN generate_series(0, (11 + (s.n %% 4))::int) j
JOIN clients c ON c.k = ((s.slot * 211 + s.lane * 16 + j) %% %(clients)s);

UPDATE scheduling_classsession cs SET booked_count = b.held
FROM (SELECT session_id, count(*) AS held FROM bookings_booking
      WHERE status IN ('confirmed', 'attended', 'no_show') GROUP BY session_id) b
WHERE b.session_id = cs.id;

INSERT INTO billing_payment (organization_id, client_id, amount, amount_refunded, currency, provider,
    kind, method, note, payment_intent_id, receipt_url, failure_reason, status, created_at)
SELECT m.organization_id, m.id, (ARRAY[25, 120, 220, 400])[1 + g %% 4], 0, 'USD', 'stripe',
    'package', 'card_online', '', '', '', '',
    CASE WHEN g %% 20 = 0 THEN 'failed' ELSE 'succeeded' END,
    now() - make_interval(mins => (g * 37) %% (%(back)s * 1440))
FROM generate_series(1, 60000) g
JOIN accounts_membership m ON m.id = (SELECT min(id) FROM accounts_membership WHERE role = 'client') + g %% %(clients)s;
ANALYZE;
