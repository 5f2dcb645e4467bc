"""Where a test proves a scenario's intent rather than its literal words: how, and why.

Keys are (feature, scenario title); `docs/specification.md` prints each note under its
feature's table (tests/specification.py), and tests/test_specification.py checks that every
note names a scenario.
"""

NOTES: dict[tuple[str, str], str] = {
    ("PHX-14", "Update notification preferences"): (
        '"SMS Notifications" is not a checkbox saved with the others: ticking a box cannot '
        "prove the number is the client's, and PHX-23 asks for an opt-in confirmed by a code "
        'sent by SMS. The Notifications tab has one "SMS notifications" control, off by '
        "default; the client enters a mobile number, types the texted code, and texts are "
        "enabled for their account (the old checkbox and unconfirmed ticks are gone)."
    ),
    ("PHX-16", "Handle failed credit deduction"): (
        'Taken literally, "the job is retried" would retry forever when the credit can never '
        "be taken, and the freed place would stay empty until class. The promotion job retries "
        "with exponential backoff (Procrastinate, 5 retries, about a minute in all), with Alice "
        "still first and told nothing, and alerts staff on the first failure. A credit that "
        "went between the check and the spend (used or expired a moment earlier) is checked "
        "again on the retry, where the insufficient-credits or expired-package scenario applies. "
        "If the credit still cannot be taken on the last try, Alice is passed over for this "
        "place only (still first in line, still told nothing: she did nothing wrong), the next "
        "in line is promoted, and staff get an alert naming her. A retry that succeeds closes "
        "the retrying alert."
    ),
}
