"""HTTP for belonging to an organization: its public page, joining, staff invitations,
creating an organization and switching between organizations (moved from accounts/)."""
