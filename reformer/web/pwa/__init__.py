"""The installable app (PHX-26): manifest and icons per organization, the service worker
served from the root scope, the offline fallback and the list of pages kept for offline."""
