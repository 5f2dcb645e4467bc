"""Live notices about one's own account, on whatever page is open.

`accounts.profile` publishes a "profile" event to the user's own channel when an email
change is confirmed (often from another device: the link is opened from the mailbox).
Every page subscribes its member to their user channel with toasts (base layout), so a
toast is all this needs: no page has to carry a target element.
"""

from __future__ import annotations

from reformer.web import live_render

live_render.register_toast(
    "profile", "email_changed", "Your new email address is confirmed.", "success"
)
