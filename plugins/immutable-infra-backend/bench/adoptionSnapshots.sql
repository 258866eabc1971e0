-- A year of daily adoption snapshots for the benchmarks (bench/adoption.bench.ts,
-- scripts/lib/adoption-page-bench.mjs): components svc-0… owned by team-0…,
-- the day k days ago for each k from the first to the last; enrolment grows
-- from 30% to 60% over the year. Bound values, in order: teams, days - 1,
-- days, days - 1, days, first k, last k, components - 1.
insert into adoption_snapshots (day, entity_ref, owner, system, type, lifecycle,
  enrolled, level, score, passing_checks, findings_critical, findings_high,
  instances, instances_on_channel, image_age_days, image_age_policy_days,
  rollouts_succeeded, taken_at)
select to_char(current_date - k, 'YYYY-MM-DD'), 'component:default/svc-' || n,
  'group:default/team-' || (n % ?), 'system:default/sys-' || (n % 100),
  'service', case when n % 10 = 9 then 'experimental' else 'production' end,
  (n % 100) < 30 + (? - k) * 30 / ?,
  case when (n % 100) >= 30 + (? - k) * 30 / ? then null
       when n % 7 = 0 then 'gold' when n % 7 < 3 then 'silver'
       when n % 7 < 5 then 'bronze' else 'none' end,
  50 + n % 50, '["no-ssh"]', (n % 13 = 0)::int, n % 5, 4, 3, n % 60, 30,
  ((n + k) % 9 = 0)::int, (current_date - k)::timestamptz
from generate_series(?::int, ?::int) k, generate_series(0, ?::int) n
on conflict do nothing
