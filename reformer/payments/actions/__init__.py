"""Payment actions (every state change about money). Split by seam:

- `accounts`: connecting an organization's Stripe account; studio fee policies
- `checkout`: buying a package or membership online (the one purchase path) and its return
- `grant`: turning a paid payment into its package, exactly once
- `events`: storing webhook events once and applying them
- `subscriptions`: memberships billed by Stripe (renewals, grace, cancel, pause, portal)
- `refunds`, `desk` (point of sale), `fees` (late-cancel and no-show)
- `holds`: freeing appointment places held past their checkout's expiry (the sweep)
"""
