//! The journey map (`teach::journey`) over the lesson library: where the message is, the
//! path it took, queues with their next try, hosts that refused.
#![cfg(not(target_arch = "wasm32"))]

use smtp_playground::scenario::{self, lessons};
use smtp_playground::teach::journey::{Journey, journey};
use smtp_playground::timeline::{StepKind, Timeline};

fn run(id: &str) -> Timeline {
    let lesson = lessons::get(id).expect("lesson");
    scenario::parse(lesson.source).expect("parses").run()
}

fn host<'a>(map: &'a Journey, name: &str) -> &'a smtp_playground::teach::journey::MapHost {
    map.hosts.iter().find(|h| h.name == name).unwrap_or_else(|| panic!("{name} on the map"))
}

fn carried(map: &Journey, a: &str, b: &str) -> bool {
    let index = |n: &str| map.hosts.iter().position(|h| h.name == n).expect("host");
    let (a, b) = (index(a).min(index(b)), index(a).max(index(b)));
    map.links.iter().any(|l| l.a == a && l.b == b && l.carried)
}

/// Every lesson at every step: one place holds the moving message at most, one link is the
/// current step's, links only grow, and the current step's hosts are marked.
#[test]
fn every_lesson_at_every_step_has_a_consistent_map() {
    for lesson in lessons::ALL {
        let timeline = scenario::parse(lesson.source).expect("parses").run();
        let before = journey(&timeline, None);
        assert!(
            before.links.is_empty() && before.hosts.iter().all(|h| !h.holds && !h.active),
            "{}",
            lesson.id
        );
        let mut links = 0;
        for i in 0..timeline.steps.len() {
            let map = journey(&timeline, Some(i));
            assert_eq!(map.hosts.len(), timeline.lanes.len(), "{}", lesson.id);
            assert!(map.hosts.iter().filter(|h| h.holds).count() <= 1, "{} at {i}: one holder", lesson.id);
            assert!(map.links.iter().filter(|l| l.current).count() <= 1, "{} at {i}", lesson.id);
            assert!(map.links.iter().all(|l| l.a < l.b && l.b < map.hosts.len()), "{} at {i}", lesson.id);
            assert!(map.links.len() >= links, "{} at {i}: links never disappear", lesson.id);
            links = map.links.len();
            let step = &timeline.steps[i];
            assert!(host(&map, &step.from).active && host(&map, &step.to).active, "{} at {i}", lesson.id);
            assert!(
                map.hosts.iter().filter(|h| h.dns).all(|h| !h.holds),
                "{} at {i}: DNS holds no mail",
                lesson.id
            );
            assert_eq!(map.now, step.time);
        }
    }
}

/// mx-relay: the message goes client → submission server → MX, over two links that carry
/// data, and ends stored in the MX's mailbox; DNS is asked but carries no mail.
#[test]
fn mx_relay_shows_the_two_hops_and_the_mailbox() {
    let timeline = run("mx-relay");
    let end = journey(&timeline, Some(timeline.steps.len() - 1));
    assert!(carried(&end, "laptop.example.com", "smtp.example.com"));
    assert!(carried(&end, "smtp.example.com", "mx.example.net"));
    assert!(!carried(&end, "smtp.example.com", "DNS"));
    // Bob's phone fetched a copy over POP3: that link carried it too, and the copy is there.
    assert!(carried(&end, "mx.example.net", "bob-phone.example.net"));
    assert!(host(&end, "bob-phone.example.net").holds);
    assert_eq!(host(&end, "mx.example.net").stored, 1);
    assert!(host(&end, "DNS").dns);
    assert_eq!(end.hosts.iter().filter(|h| h.dns).count(), 1, "only the resolver is drawn aside");
    // Once the relay has handed the message on and it has left the queue, it is at the MX,
    // not back at the relay.
    let left = timeline.steps.iter().position(|s| s.summary.contains("leaves the queue")).expect("leaves");
    let map = journey(&timeline, Some(left));
    assert!(host(&map, "mx.example.net").holds, "at the MX once it left the relay's queue");
    assert!(!host(&map, "smtp.example.com").holds);
    // While the client sends its data, the submission server is where the message is going.
    let data = timeline.steps.iter().position(|s| s.kind == StepKind::Data).expect("data");
    let map = journey(&timeline, Some(data));
    assert!(host(&map, "smtp.example.com").holds);
    let mail = timeline
        .steps
        .iter()
        .position(|s| s.wire.as_deref().is_some_and(|w| w.starts_with("MAIL FROM")))
        .unwrap();
    assert!(
        journey(&timeline, Some(mail))
            .hosts
            .iter()
            .find(|h| h.holds)
            .is_some_and(|h| h.name == "laptop.example.com")
    );
}

/// retry-later: the MX refuses, the relay holds the message in its queue with a next try in
/// the future and the MX marked down; after the retry succeeds, the queue is empty, the MX
/// is up again and stores the message.
#[test]
fn retry_later_shows_the_queue_the_refusal_and_the_recovery() {
    let timeline = run("retry-later");
    let refused = timeline.steps.iter().position(|s| s.kind == StepKind::TcpRefused).expect("a refusal");
    let queued = (refused..timeline.steps.len())
        .find(|&i| journey(&timeline, Some(i)).hosts.iter().any(|h| h.next_try.is_some()))
        .expect("a message queued for a later try after the refusal");
    let map = journey(&timeline, Some(queued));
    let relay = map.hosts.iter().find(|h| h.queued > 0).expect("the relay");
    let down = map.hosts.iter().find(|h| h.down).expect("a host marked down");
    assert_eq!(*down.name, *timeline.steps[refused].to);
    // The lesson's one message, its next try in the future.
    assert_eq!(relay.queued, 1, "{relay:?}");
    assert!(relay.next_try.is_some_and(|t| t > map.now), "{relay:?}");
    assert!(relay.holds, "the message waits at the relay: {relay:?}");
    assert!(map.links.iter().any(|l| l.refused));
    // Handed on at last: the message is at the MX, though the relay's queue step comes after.
    let handed = timeline.steps.iter().position(|s| s.summary.contains("handed on")).expect("handed on");
    let map = journey(&timeline, Some(handed));
    assert!(host(&map, &down.name).holds && !host(&map, &relay.name).holds, "{map:?}");
    let end = journey(&timeline, Some(timeline.steps.len() - 1));
    assert!(end.hosts.iter().all(|h| h.queued == 0 && h.next_try.is_none() && !h.down), "{end:?}");
    assert_eq!(host(&end, &down.name).stored, 1);
    assert!(end.links.iter().all(|l| !l.refused));
}

/// The resolver is known by being the simulator's lane, not by its role's words: a host whose
/// role mentions DNS (a recording's, an edited timeline's) stays on the mail's path.
#[test]
fn only_the_resolver_lane_is_drawn_aside() {
    let mut timeline = run("mx-relay");
    let mx = timeline.lanes.iter_mut().find(|l| l.name == "mx.example.net").expect("mx lane");
    mx.role = "MX (and the domain's DNS host)".into();
    let end = journey(&timeline, Some(timeline.steps.len() - 1));
    assert!(!host(&end, "mx.example.net").dns);
    assert!(host(&end, "DNS").dns);
}

/// A world of 24 lanes: the lanes show only the hosts of the steps they show (a few wide
/// columns, not 24 cut ones), in lane order; the map keeps every host.
#[test]
fn a_world_of_many_hosts_shows_only_the_lanes_in_use() {
    use smtp_playground::teach::journey::{MOST_LANES, MOST_LANES_ON_A_PHONE, lanes_shown};
    let text = std::fs::read_to_string("tests/worlds/newsletter-21-schools.toml").expect("world");
    let timeline = scenario::parse(&text).expect("parses").run();
    assert_eq!(timeline.lanes.len(), 24);
    let mut seen = std::collections::BTreeSet::new();
    for (most, end) in [MOST_LANES, MOST_LANES_ON_A_PHONE]
        .into_iter()
        .flat_map(|most| (0..=timeline.steps.len()).map(move |end| (most, end)))
    {
        let asked = end.saturating_sub(8);
        let (start, shown) = lanes_shown(&timeline, asked, end, most);
        // Older rows give way to keep the columns few; the current step always stays.
        assert!(asked <= start && (start < end || end == 0), "rows {start}..{end} of {asked}..{end}");
        assert!(!shown.is_empty() && shown.len() <= most, "{} lanes at {end}", shown.len());
        assert!(shown.windows(2).all(|w| w[0] < w[1]), "lane order at {end}");
        for step in &timeline.steps[start..end] {
            for name in [&step.from, &step.to] {
                assert!(shown.iter().any(|&i| *timeline.lanes[i].name == **name), "{name} missing at {end}");
            }
        }
        seen.extend(shown);
    }
    // Every host has its turn, and the map always has all of them.
    assert_eq!(seen.len(), 24);
    assert_eq!(journey(&timeline, Some(timeline.steps.len() - 1)).hosts.len(), 24);
    // Every lesson fits a laptop's lanes: all of them, always. A phone shows them all too when
    // there are five or fewer; past that (dkim-body-changed, with Bob's phone as a sixth
    // host) it shows the hosts of the steps in view, every step's two ends among them.
    for lesson in lessons::ALL {
        let timeline = scenario::parse(lesson.source).expect("parses").run();
        let all: Vec<usize> = (0..timeline.lanes.len()).collect();
        assert!(all.len() <= MOST_LANES, "{}: {} lanes", lesson.id, all.len());
        assert_eq!(lanes_shown(&timeline, 3, 11, MOST_LANES), (3, all.clone()), "{}", lesson.id);
        if all.len() <= MOST_LANES_ON_A_PHONE {
            assert_eq!(lanes_shown(&timeline, 3, 11, MOST_LANES_ON_A_PHONE), (3, all), "{}", lesson.id);
            continue;
        }
        for end in 1..=timeline.steps.len() {
            let (start, shown) = lanes_shown(&timeline, end.saturating_sub(8), end, MOST_LANES_ON_A_PHONE);
            assert!(shown.len() <= MOST_LANES_ON_A_PHONE && start < end, "{}: at {end}", lesson.id);
            for step in &timeline.steps[start..end] {
                for name in [&step.from, &step.to] {
                    let lane = timeline.lanes.iter().position(|l| *l.name == **name);
                    assert!(
                        lane.is_some_and(|l| shown.contains(&l)),
                        "{}: {name} missing at {end}",
                        lesson.id
                    );
                }
            }
        }
    }
}
