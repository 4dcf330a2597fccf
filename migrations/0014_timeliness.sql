-- How promptly each request was answered, from the events of its JSON (the site's own times), for researchers to count
-- by authority. A request is due by the 20th working day after the day it was sent, or resent or clarified, as the
-- site counts (FOIA s10, EIR reg 5(2)); a working day is neither a weekend day nor Christmas Day, Good Friday or a bank
-- holiday in any part of the UK (FOIA s10(6), which the EIR and the Scottish Act's counts follow closely enough for a
-- tally). Days are London's, the site's time zone.

-- Weekday bank holidays of England and Wales, Scotland and Northern Ireland, 2007 to 2040: the library date-holidays
-- with the royal wedding of 2011 and the spring holiday moved for the jubilee of 2012, which it lacks
-- (test/storage/timeliness.test.ts compares). Later years count weekends only until a migration extends the list.
CREATE FUNCTION uk_bank_holidays() RETURNS date[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT '{
    2007-01-01,2007-01-02,2007-03-19,2007-04-06,2007-04-09,2007-05-07,2007-05-28,2007-07-12,2007-08-06,2007-08-27,2007-11-30,2007-12-25,2007-12-26,
    2008-01-01,2008-01-02,2008-03-17,2008-03-21,2008-03-24,2008-05-05,2008-05-26,2008-07-14,2008-08-04,2008-08-25,2008-12-01,2008-12-25,2008-12-26,
    2009-01-01,2009-01-02,2009-03-17,2009-04-10,2009-04-13,2009-05-04,2009-05-25,2009-07-13,2009-08-03,2009-08-31,2009-11-30,2009-12-25,2009-12-28,
    2010-01-01,2010-01-04,2010-03-17,2010-04-02,2010-04-05,2010-05-03,2010-05-31,2010-07-12,2010-08-02,2010-08-30,2010-11-30,2010-12-27,2010-12-28,
    2011-01-03,2011-01-04,2011-03-17,2011-04-22,2011-04-25,2011-04-29,2011-05-02,2011-05-30,2011-07-12,2011-08-01,2011-08-29,2011-11-30,2011-12-26,2011-12-27,
    2012-01-02,2012-01-03,2012-03-19,2012-04-06,2012-04-09,2012-05-07,2012-06-04,2012-06-05,2012-07-12,2012-08-06,2012-08-27,2012-11-30,2012-12-25,2012-12-26,
    2013-01-01,2013-01-02,2013-03-18,2013-03-29,2013-04-01,2013-05-06,2013-05-27,2013-07-12,2013-08-05,2013-08-26,2013-12-02,2013-12-25,2013-12-26,
    2014-01-01,2014-01-02,2014-03-17,2014-04-18,2014-04-21,2014-05-05,2014-05-26,2014-07-14,2014-08-04,2014-08-25,2014-12-01,2014-12-25,2014-12-26,
    2015-01-01,2015-01-02,2015-03-17,2015-04-03,2015-04-06,2015-05-04,2015-05-25,2015-07-13,2015-08-03,2015-08-31,2015-11-30,2015-12-25,2015-12-28,
    2016-01-01,2016-01-04,2016-03-17,2016-03-25,2016-03-28,2016-05-02,2016-05-30,2016-07-12,2016-08-01,2016-08-29,2016-11-30,2016-12-26,2016-12-27,
    2017-01-02,2017-01-03,2017-03-17,2017-04-14,2017-04-17,2017-05-01,2017-05-29,2017-07-12,2017-08-07,2017-08-28,2017-11-30,2017-12-25,2017-12-26,
    2018-01-01,2018-01-02,2018-03-19,2018-03-30,2018-04-02,2018-05-07,2018-05-28,2018-07-12,2018-08-06,2018-08-27,2018-11-30,2018-12-25,2018-12-26,
    2019-01-01,2019-01-02,2019-03-18,2019-04-19,2019-04-22,2019-05-06,2019-05-27,2019-07-12,2019-08-05,2019-08-26,2019-12-02,2019-12-25,2019-12-26,
    2020-01-01,2020-01-02,2020-03-17,2020-04-10,2020-04-13,2020-05-08,2020-05-25,2020-07-13,2020-08-03,2020-08-31,2020-11-30,2020-12-25,2020-12-28,
    2021-01-01,2021-01-04,2021-03-17,2021-04-02,2021-04-05,2021-05-03,2021-05-31,2021-07-12,2021-08-02,2021-08-30,2021-11-30,2021-12-27,2021-12-28,
    2022-01-03,2022-01-04,2022-03-17,2022-04-15,2022-04-18,2022-05-02,2022-06-02,2022-06-03,2022-07-12,2022-08-01,2022-08-29,2022-09-19,2022-11-30,2022-12-26,2022-12-27,
    2023-01-02,2023-01-03,2023-03-17,2023-04-07,2023-04-10,2023-05-01,2023-05-08,2023-05-29,2023-07-12,2023-08-07,2023-08-28,2023-11-30,2023-12-25,2023-12-26,
    2024-01-01,2024-01-02,2024-03-18,2024-03-29,2024-04-01,2024-05-06,2024-05-27,2024-07-12,2024-08-05,2024-08-26,2024-12-02,2024-12-25,2024-12-26,
    2025-01-01,2025-01-02,2025-03-17,2025-04-18,2025-04-21,2025-05-05,2025-05-26,2025-07-14,2025-08-04,2025-08-25,2025-12-01,2025-12-25,2025-12-26,
    2026-01-01,2026-01-02,2026-03-17,2026-04-03,2026-04-06,2026-05-04,2026-05-25,2026-07-13,2026-08-03,2026-08-31,2026-11-30,2026-12-25,2026-12-28,
    2027-01-01,2027-01-04,2027-03-17,2027-03-26,2027-03-29,2027-05-03,2027-05-31,2027-07-12,2027-08-02,2027-08-30,2027-11-30,2027-12-27,2027-12-28,
    2028-01-03,2028-01-04,2028-03-17,2028-04-14,2028-04-17,2028-05-01,2028-05-29,2028-07-12,2028-08-07,2028-08-28,2028-11-30,2028-12-25,2028-12-26,
    2029-01-01,2029-01-02,2029-03-19,2029-03-30,2029-04-02,2029-05-07,2029-05-28,2029-07-12,2029-08-06,2029-08-27,2029-11-30,2029-12-25,2029-12-26,
    2030-01-01,2030-01-02,2030-03-18,2030-04-19,2030-04-22,2030-05-06,2030-05-27,2030-07-12,2030-08-05,2030-08-26,2030-12-02,2030-12-25,2030-12-26,
    2031-01-01,2031-01-02,2031-03-17,2031-04-11,2031-04-14,2031-05-05,2031-05-26,2031-07-14,2031-08-04,2031-08-25,2031-12-01,2031-12-25,2031-12-26,
    2032-01-01,2032-01-02,2032-03-17,2032-03-26,2032-03-29,2032-05-03,2032-05-31,2032-07-12,2032-08-02,2032-08-30,2032-11-30,2032-12-27,2032-12-28,
    2033-01-03,2033-01-04,2033-03-17,2033-04-15,2033-04-18,2033-05-02,2033-05-30,2033-07-12,2033-08-01,2033-08-29,2033-11-30,2033-12-26,2033-12-27,
    2034-01-02,2034-01-03,2034-03-17,2034-04-07,2034-04-10,2034-05-01,2034-05-29,2034-07-12,2034-08-07,2034-08-28,2034-11-30,2034-12-25,2034-12-26,
    2035-01-01,2035-01-02,2035-03-19,2035-03-23,2035-03-26,2035-05-07,2035-05-28,2035-07-12,2035-08-06,2035-08-27,2035-11-30,2035-12-25,2035-12-26,
    2036-01-01,2036-01-02,2036-03-17,2036-04-11,2036-04-14,2036-05-05,2036-05-26,2036-07-14,2036-08-04,2036-08-25,2036-12-01,2036-12-25,2036-12-26,
    2037-01-01,2037-01-02,2037-03-17,2037-04-03,2037-04-06,2037-05-04,2037-05-25,2037-07-13,2037-08-03,2037-08-31,2037-11-30,2037-12-25,2037-12-28,
    2038-01-01,2038-01-04,2038-03-17,2038-04-23,2038-04-26,2038-05-03,2038-05-31,2038-07-12,2038-08-02,2038-08-30,2038-11-30,2038-12-27,2038-12-28,
    2039-01-03,2039-01-04,2039-03-17,2039-04-08,2039-04-11,2039-05-02,2039-05-30,2039-07-12,2039-08-01,2039-08-29,2039-11-30,2039-12-26,2039-12-27,
    2040-01-02,2040-01-03,2040-03-19,2040-03-30,2040-04-02,2040-05-07,2040-05-28,2040-07-12,2040-08-06,2040-08-27,2040-11-30,2040-12-25,2040-12-26
  }'::date[]
$$;--> statement-breakpoint

-- Working days from Monday 1 January 1900 up to and including `day`: its weekdays, less the bank holidays among
-- them (width_bucket counts the holidays on or before it, by a binary search of the sorted list). Arithmetic rather
-- than a walk over the days: a request's write computes these for its generated columns.
CREATE FUNCTION uk_working_days_through(day date) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (day - date '1900-01-01' + 1) / 7 * 5 + least((day - date '1900-01-01' + 1) % 7, 5) - width_bucket(day, uk_bank_holidays())
$$;--> statement-breakpoint

-- Working days after the day of `since` up to and including the day of `until`: 0 for an answer the same day, 20 for
-- one on the due date. Null when `until` comes first.
CREATE FUNCTION uk_working_days_between(since timestamptz, until timestamptz) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN until >= since THEN
    uk_working_days_through((until AT TIME ZONE 'Europe/London')::date) - uk_working_days_through((since AT TIME ZONE 'Europe/London')::date)
  END
$$;--> statement-breakpoint

-- The n-th working day after the day of the given time. Each calendar day adds at most one working day, so a jump by
-- the working days still missing never passes the target; the last step goes back from a weekend or holiday to the
-- working day that reached it.
CREATE FUNCTION uk_working_day_after(since timestamptz, n integer) RETURNS date LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  start date := (since AT TIME ZONE 'Europe/London')::date;
  target integer := uk_working_days_through(start) + n;
  day date := start + n;
  missing integer;
BEGIN
  LOOP
    missing := target - uk_working_days_through(day);
    EXIT WHEN missing <= 0;
    day := day + missing;
  END LOOP;
  WHILE uk_working_days_through(day - 1) >= target LOOP
    day := day - 1;
  END LOOP;
  RETURN day;
END
$$;--> statement-breakpoint

-- A time as Alaveteli's JSON writes it ("2007-10-11T18:15:57.000+01:00"). Declared immutable, which a cast from text
-- is not, because only a time carrying its offset is read: it means the same whatever the session's time zone.
-- Anything else, an impossible date included ("2024-02-30" passes the pattern, not the month check), is null rather
-- than an error that would refuse the request's write.
CREATE FUNCTION alaveteli_time(value text) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN value ~ '^[1-9]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?(Z|[+-](0\d|1[0-4])(:?[0-5]\d)?)$'
      AND extract(month FROM make_date(substr(value, 1, 4)::int, substr(value, 6, 2)::int, 1) + (substr(value, 9, 2)::int - 1)) = substr(value, 6, 2)::int
    THEN value::timestamptz
  END
$$;--> statement-breakpoint

-- When the request was first sent: its `sent` event (the JSON lists events in the order they happened).
CREATE FUNCTION request_sent_at(raw jsonb) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT alaveteli_time(jsonb_path_query_first(raw, '$.info_request_events[*] ? (@.event_type == "sent").created_at') #>> '{}')
$$;--> statement-breakpoint

-- Whether the law's clock may have started again after the request was sent: it was resent, or its requester said
-- the authority asked for clarification. Most requests have neither, and are read by the short ways below.
CREATE FUNCTION request_clock_restarted(raw jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT jsonb_typeof(raw -> 'info_request_events') = 'array'
    AND jsonb_path_exists(raw, '$.info_request_events[*] ? (@.event_type == "resent" || @.described_state == "waiting_clarification")')
$$;--> statement-breakpoint

-- When the clock last started, as the site keeps it (Alaveteli's last_event_forming_initial_request), walking the
-- events: the request's sending, a later resending, or the first follow-up after its requester said the authority had
-- asked for clarification.
CREATE FUNCTION request_clock_walk(raw jsonb) RETURNS timestamptz LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  event jsonb;
  started jsonb;
  expecting_clarification boolean := false;
BEGIN
  FOR event IN SELECT e FROM jsonb_array_elements(raw -> 'info_request_events') AS e LOOP
    IF event ->> 'described_state' = 'waiting_clarification' THEN
      expecting_clarification := true;
    END IF;
    IF event ->> 'event_type' IN ('sent', 'resent', 'followup_sent', 'followup_resent') THEN
      IF started IS NULL OR event ->> 'event_type' = 'resent' THEN
        started := event;
      ELSIF expecting_clarification AND event ->> 'event_type' = 'followup_sent' THEN
        started := event;
        expecting_clarification := false;
      END IF;
    END IF;
  END LOOP;
  RETURN alaveteli_time(started ->> 'created_at');
END
$$;--> statement-breakpoint

CREATE FUNCTION request_clock_started_at(raw jsonb) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN request_clock_restarted(raw) THEN request_clock_walk(raw) ELSE request_sent_at(raw) END
$$;--> statement-breakpoint

-- The first of the events the path selects (their times) since the clock last started.
CREATE FUNCTION request_first_since_clock(raw jsonb, times jsonpath) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN request_clock_restarted(raw) THEN (
      SELECT min(event.at)
      FROM (SELECT alaveteli_time(t #>> '{}') AS at FROM jsonb_path_query(raw, times) AS t) AS event
      WHERE event.at >= request_clock_walk(raw)
    )
    ELSE alaveteli_time(jsonb_path_query_first(raw, times) #>> '{}')
  END
$$;--> statement-breakpoint

-- The first message from the authority since the clock last started (an acknowledgement counts).
CREATE FUNCTION request_first_response_at(raw jsonb) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT request_first_since_clock(raw, '$.info_request_events[*] ? (@.event_type == "response").created_at')
$$;--> statement-breakpoint

-- The first message since then that the requester classified as an answer: Alaveteli gives each response the state
-- its requester described after it (`calculated_state`), so an acknowledgement they marked "still waiting" is not one.
CREATE FUNCTION request_first_answer_at(raw jsonb) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT request_first_since_clock(raw, '$.info_request_events[*] ? (@.event_type == "response" && (@.calculated_state == "successful"
    || @.calculated_state == "partially_successful" || @.calculated_state == "not_held" || @.calculated_state == "rejected")).created_at')
$$;--> statement-breakpoint

-- The site logs `overdue` the day after a request still waiting for its answer passes its due date, and
-- `very_overdue` past the longer limit (facts §4.4).
CREATE FUNCTION request_site_overdue(raw jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN jsonb_path_exists(raw, '$.info_request_events[*] ? (@.event_type == "very_overdue")') THEN 'very_overdue'
    WHEN jsonb_path_exists(raw, '$.info_request_events[*] ? (@.event_type == "overdue")') THEN 'overdue'
  END
$$;--> statement-breakpoint

-- The requester asked for an internal review: a follow-up the site labels so.
CREATE FUNCTION request_internal_review_requested(raw jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT jsonb_path_exists(raw, '$.info_request_events[*] ? (@.event_type == "followup_sent" && @.display_status == "Internal review request")')
$$;--> statement-breakpoint

-- One statement, so that the table is rewritten once, not once per column.
ALTER TABLE "requests"
  ADD COLUMN "sent_at" timestamp with time zone GENERATED ALWAYS AS (request_sent_at("requests"."raw")) STORED,
  ADD COLUMN "clock_started_at" timestamp with time zone GENERATED ALWAYS AS (request_clock_started_at("requests"."raw")) STORED,
  ADD COLUMN "due_on" date GENERATED ALWAYS AS (uk_working_day_after(request_clock_started_at("requests"."raw"), 20)) STORED,
  ADD COLUMN "first_response_at" timestamp with time zone GENERATED ALWAYS AS (request_first_response_at("requests"."raw")) STORED,
  ADD COLUMN "response_working_days" integer GENERATED ALWAYS AS (uk_working_days_between(request_clock_started_at("requests"."raw"), request_first_response_at("requests"."raw"))) STORED,
  ADD COLUMN "first_answer_at" timestamp with time zone GENERATED ALWAYS AS (request_first_answer_at("requests"."raw")) STORED,
  ADD COLUMN "answer_working_days" integer GENERATED ALWAYS AS (uk_working_days_between(request_clock_started_at("requests"."raw"), request_first_answer_at("requests"."raw"))) STORED,
  ADD COLUMN "site_overdue" text GENERATED ALWAYS AS (request_site_overdue("requests"."raw")) STORED,
  ADD COLUMN "internal_review_requested" boolean GENERATED ALWAYS AS (request_internal_review_requested("requests"."raw")) STORED;--> statement-breakpoint
CREATE INDEX "requests_timeliness" ON "requests" USING btree ("id","response_working_days","first_response_at","due_on");
