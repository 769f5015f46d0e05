//! Stored shapes of the calendar: resources (rooms, chairs, equipment, vehicles) and events
//! with participants, resources, an optional client and deal, and an optional recurrence.
//! Instants are UTC (`Ts`); a recurrence repeats the start's local wall-clock time in the
//! company's zone.

use serde::{Deserialize, Serialize};

use crate::clock::Ts;
use crate::ids::{BranchId, CalEventId, ClientId, CrmDealId, ResourceId, UserId};
use crate::storage::Record;

macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident { $($v:ident = $code:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name { $($v),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),*];

            pub fn code(self) -> &'static str {
                match self { $($name::$v => $code),* }
            }

            pub fn parse(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|k| k.code() == s.trim())
            }
        }
    };
}

code_enum!(
    /// What a resource is; the verticals book their own kinds of it.
    ResourceKind { Room = "room", Chair = "chair", Equipment = "equipment", Vehicle = "vehicle", Other = "other" }
);

code_enum!(
    /// What an event is: a barber's appointment, a school's lesson, a hostel's booking are
    /// events of their kind on the same calendar.
    EventKind { Meeting = "meeting", Call = "call", Appointment = "appointment", Lesson = "lesson", Booking = "booking", Other = "other" }
);

code_enum!(
    /// planned → done | cancelled, and back to planned by an edit; cancelled events take no
    /// time (no conflicts) but stay visible.
    EventStatus { Planned = "planned", Done = "done", Cancelled = "cancelled" }
);

code_enum!(
    /// How a series repeats.
    Freq { Daily = "daily", Weekly = "weekly", Monthly = "monthly" }
);

/// A bookable thing. An exclusive resource refuses a second event at the same time (a
/// barber's chair, a hostel bed); another one only warns (a meeting room people squeeze into).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub id: ResourceId,
    pub name: String,
    pub kind: ResourceKind,
    pub active: bool,
    pub exclusive: bool,
    pub branch: Option<BranchId>,
    pub created: Ts,
}

impl Record for Resource {
    const TYPE: &'static str = "calresource.v1";
}

/// A series rule: every `interval` days, weeks (on `weekdays`, bit 0 = Monday) or months (on
/// the start's day of the month; a month without that day is skipped, as RFC 5545 does),
/// ending at `until` (a local date, inclusive) or after `count` occurrences. Always bounded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recurrence {
    pub freq: Freq,
    pub interval: u16,
    pub weekdays: u8,
    /// "YYYY-MM-DD", inclusive.
    pub until: Option<String>,
    pub count: Option<u16>,
}

/// An event, or a recurring series of them. `skipped` holds the original starts of
/// occurrences cancelled or edited one by one ("this occurrence"); an edited occurrence is an
/// event of its own naming the series and the start it replaces in `detached`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalEvent {
    pub id: CalEventId,
    pub title: String,
    pub kind: EventKind,
    pub status: EventStatus,
    pub start: Ts,
    pub end: Ts,
    pub all_day: bool,
    /// The IANA zone the event was made in: its series repeats in this zone's wall-clock time.
    pub zone: String,
    pub participants: Vec<UserId>,
    pub resources: Vec<ResourceId>,
    pub client: Option<ClientId>,
    pub deal: Option<CrmDealId>,
    pub notes: String,
    pub recurrence: Option<Recurrence>,
    pub skipped: Vec<Ts>,
    /// The end of the last occurrence (= `end` for a single event): what the indexes span.
    pub last_end: Ts,
    pub detached: Option<(CalEventId, Ts)>,
    pub created: Ts,
    pub created_by: UserId,
    pub updated: Ts,
}

impl Record for CalEvent {
    const TYPE: &'static str = "calevent.v1";
}

/// One occurrence of an event in a view: the event and this occurrence's instants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub event: CalEventId,
    pub start: Ts,
    pub end: Ts,
}
