//! The message to a practice's contact when Portico turns off a webhook subscription that has
//! been failing for days. It names the URL (the practice's own setting), never an event.

use crate::mail::compose::Email;
use crate::store::outbox::OutgoingMessage;

/// A subscription was turned off after failing since `since`.
pub fn subscription_disabled(
    to: &str,
    practice_name: &str,
    url: &str,
    since: &str,
) -> OutgoingMessage {
    Email::new("A webhook subscription was turned off")
        .para("Hello,")
        .para(format!(
            "Portico could not deliver events to {url} for {practice_name} since {since}, and has turned that webhook subscription off."
        ))
        .para(
            "Events are still recorded: once the receiver works again, turn the subscription back on (PATCH it with \"enabled\": true) and read what it missed from the event feed (GET /api/v1/practice/events).",
        )
        .render("webhook_disabled", to, Some(practice_name))
}
