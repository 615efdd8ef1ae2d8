//! The event loop: events in time order (ties in the order they were scheduled), the virtual
//! clock jumping to each, the step and time caps. It hands each event to the sessions
//! ([`super::session`]) or the relay ([`super::relay`]), the two files that act on it.

use super::world::{Event, Scheduled, World};
use crate::timeline::{Millis, Timeline};

impl World {
    /// Runs to the end (or a cap) and returns the timeline.
    pub fn run(mut self) -> Timeline {
        while let Some(next) = self.events.peek() {
            if next.at > self.max_time || self.steps_decided() >= self.max_steps {
                self.timeline.outcome.truncated = true;
                break;
            }
            let Some(Scheduled { at, event, .. }) = self.events.pop() else { break };
            self.now = at;
            self.handle(event);
        }
        self.finish()
    }

    fn finish(mut self) -> Timeline {
        // The steps still ahead of the clock (a DNS answer the run stopped before).
        self.steps_until(Millis::MAX);
        let outcome = &mut self.timeline.outcome;
        for host in &self.hosts {
            // A mailbox a reader emptied (POP3 DELE, IMAP EXPUNGE) holds nothing delivered.
            for (mailbox, messages) in host.mailboxes.iter().filter(|(_, m)| !m.is_empty()) {
                *outcome.delivered.entry(mailbox.clone()).or_default() += messages.len();
            }
            outcome.queued += host.queue.len();
        }
        self.timeline
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Start(i) => {
                if let Some(action) = self.actions.get_mut(i).and_then(Option::take) {
                    self.start_action(action);
                }
            }
            Event::Arrive { conn, to_server, bytes } => self.arrive(conn, to_server, bytes),
            Event::Attempt { host, id } => self.attempt(host, &id),
            Event::Job(job) => self.continue_job(job),
            Event::Release(conn) => self.flush(conn),
        }
    }
}
