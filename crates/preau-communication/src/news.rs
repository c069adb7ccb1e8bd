//! News (*actualités*) of a structure, a class or a group, for chosen profiles, with a
//! publication workflow: a writer (any adult of the school) drafts and submits; a publisher (the
//! direction, or an admin of the school's communication) publishes or sends back; a news item
//! may expire. Publishing notifies its readers. A public item is also shown on the structure's
//! public page and in its Atom feed.

use crate::notifications::Kind;
use crate::rules::{CLASS_PROFILES, PROFILES, Standing, Target};
use crate::{Communication, CommunicationStore};
use preau_core::error::Validator;
use preau_core::{Error, GroupId, NewsId, Permission, PersonId, Principal, Profile, Result, StructureId, TerritoryId};
use preau_directory::GroupKind;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NewsState {
    Draft,
    Submitted,
    Published,
}

impl NewsState {
    pub fn code(self) -> &'static str {
        match self {
            NewsState::Draft => "draft",
            NewsState::Submitted => "submitted",
            NewsState::Published => "published",
        }
    }

    pub fn parse(s: &str) -> Option<NewsState> {
        [NewsState::Draft, NewsState::Submitted, NewsState::Published].into_iter().find(|x| x.code() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct News {
    pub id: NewsId,
    pub territory: TerritoryId,
    pub structure: StructureId,
    /// A class or group of the structure; none: the whole structure.
    pub group: Option<GroupId>,
    /// The profiles it is for; empty: everyone in its scope.
    pub profiles: Vec<Profile>,
    pub title: String,
    /// Plain text.
    pub body: String,
    pub author: PersonId,
    pub author_name: String,
    pub state: NewsState,
    pub created_at: i64,
    pub published_at: Option<i64>,
    pub published_by: Option<String>,
    pub expires_at: Option<i64>,
    /// Also on the structure's public page and Atom feed.
    pub public: bool,
    /// Hidden by a moderator.
    pub hidden_at: Option<i64>,
}

impl News {
    /// Whether the person of this standing is among its readers.
    pub fn is_for(&self, st: &Standing) -> bool {
        let profiles: Vec<Profile> = match self.group {
            None => st.profiles.iter().filter(|(s, _)| *s == self.structure).map(|(_, p)| *p).collect(),
            Some(g) => st
                .classes
                .iter()
                .filter(|(_, c, _)| *c == g)
                .map(|(_, _, p)| *p)
                .chain(st.groups.iter().filter(|(_, x)| *x == g).flat_map(|_| PROFILES))
                .collect(),
        };
        !profiles.is_empty() && (self.profiles.is_empty() || profiles.iter().any(|p| self.profiles.contains(p)))
    }

    fn live(&self, now: i64) -> bool {
        self.state == NewsState::Published && self.hidden_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewsInput {
    pub structure: StructureId,
    #[serde(default)]
    pub group: Option<GroupId>,
    #[serde(default)]
    pub profiles: Vec<Profile>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub expires_at: Option<i64>,
    #[serde(default)]
    pub public: bool,
}

/// What a person sees: the news for them, and what waits for their work.
#[derive(Debug, Clone, Serialize)]
pub struct NewsBoard {
    pub published: Vec<News>,
    /// Their own drafts and submissions, and (publishers) what waits to be published.
    pub to_work_on: Vec<News>,
    /// Structures where they may write.
    pub can_write_in: Vec<StructureId>,
}

impl<S: CommunicationStore> Communication<S> {
    fn can_write(caller: &Principal, st: &Standing, structure: StructureId) -> bool {
        st.profiles.iter().any(|(s, p)| *s == structure && crate::rules::STAFF.contains(p)) || caller.can_in(Permission::ManageCommunication, structure)
    }

    fn can_publish(caller: &Principal, st: &Standing, structure: StructureId) -> bool {
        st.profiles.contains(&(structure, Profile::Direction)) || caller.can_in(Permission::ManageCommunication, structure)
    }

    async fn checked(&self, caller: &Principal, input: &NewsInput) -> Result<Standing> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let st = self.standing_of(me).await?;
        if !Self::can_write(caller, &st, input.structure) {
            return Err(Error::Forbidden);
        }
        let mut v = Validator::new();
        v.check(!input.title.trim().is_empty() && input.title.chars().count() <= 200, "title", "field.required");
        v.check(input.body.len() <= 100_000, "body", "field.too_long");
        v.check(input.expires_at.is_none_or(|e| e > self.clock.now()), "expires_at", "news.expired");
        v.finish()?;
        if let Some(g) = input.group
            && self.store.group(g).await?.structure != input.structure
        {
            return Err(Error::invalid("group", "news.foreign_group"));
        }
        Ok(st)
    }

    /// Writes a draft (or, with `submit`, hands it to the publishers at once).
    pub async fn write_news(&self, caller: &Principal, input: &NewsInput, submit: bool) -> Result<News> {
        self.checked(caller, input).await?;
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let n = News {
            id: NewsId::new(),
            territory: caller.territory,
            structure: input.structure,
            group: input.group,
            profiles: input.profiles.clone(),
            title: input.title.trim().to_owned(),
            body: input.body.clone(),
            author: me,
            author_name: self.store.person(me).await?.display_name(),
            state: if submit { NewsState::Submitted } else { NewsState::Draft },
            created_at: self.clock.now(),
            published_at: None,
            published_by: None,
            expires_at: input.expires_at,
            public: input.public,
            hidden_at: None,
        };
        self.store.save_news(&n).await?;
        Ok(n)
    }

    /// Changes a news item: its author while it is not published, a publisher at any time.
    pub async fn edit_news(&self, caller: &Principal, id: NewsId, input: &NewsInput) -> Result<News> {
        self.checked(caller, input).await?;
        let mut n = self.editable_news(caller, id).await?;
        if input.structure != n.structure {
            return Err(Error::Forbidden);
        }
        (n.group, n.profiles, n.title, n.body, n.expires_at, n.public) =
            (input.group, input.profiles.clone(), input.title.trim().to_owned(), input.body.clone(), input.expires_at, input.public);
        self.store.save_news(&n).await?;
        Ok(n)
    }

    /// A news item the caller may change (for its edit form): its author's while it is not
    /// published, any publisher's of its structure.
    pub async fn editable_news(&self, caller: &Principal, id: NewsId) -> Result<News> {
        let n = self.store.news(id).await?;
        if self.may_edit_news(caller, &n).await? {
            return Ok(n);
        }
        // Who may not even read it is told it does not exist.
        self.read_news(caller, id).await?;
        Err(Error::Forbidden)
    }

    /// Moves a news item along: `submit` (its author), `publish` or `reject` (a publisher:
    /// back to a draft). Publishing notifies its readers.
    pub async fn news_step(&self, caller: &Principal, id: NewsId, step: &str) -> Result<News> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let st = self.standing_of(me).await?;
        let mut n = self.store.news(id).await?;
        let publisher = Self::can_publish(caller, &st, n.structure);
        let allowed = match step {
            "submit" => n.author == me,
            "publish" | "reject" => publisher,
            _ => false,
        };
        if !allowed {
            return Err(Error::Forbidden);
        }
        match (step, n.state) {
            ("submit", NewsState::Draft) => n.state = NewsState::Submitted,
            ("publish", NewsState::Draft | NewsState::Submitted) => {
                n.state = NewsState::Published;
                n.published_at = Some(self.clock.now());
                n.published_by = Some(self.store.person(me).await?.display_name());
            }
            ("reject", NewsState::Submitted | NewsState::Published) => {
                n.state = NewsState::Draft;
                n.published_at = None;
            }
            _ => return Err(Error::Conflict("news.state")),
        }
        self.store.save_news(&n).await?;
        if n.state == NewsState::Published {
            let readers = self.readers(&n).await?;
            let title = format!("{} : {}", n.author_name, n.title);
            self.notify(&readers, Kind::News, self.clock.now(), &title, &format!("/news/{}", n.id), &*self.live).await?;
        }
        Ok(n)
    }

    /// Everyone a news item is for.
    async fn readers(&self, n: &News) -> Result<Vec<PersonId>> {
        let profiles: Vec<Profile> = if n.profiles.is_empty() { PROFILES.to_vec() } else { n.profiles.clone() };
        let targets: Vec<Target> = match n.group {
            None => profiles.iter().map(|p| Target::Structure { structure: n.structure, profile: *p }).collect(),
            Some(g) => match self.store.group(g).await?.kind {
                GroupKind::Class | GroupKind::Teaching => {
                    profiles.iter().filter(|p| CLASS_PROFILES.contains(p)).map(|p| Target::Class { group: g, profile: *p }).collect()
                }
                _ => vec![Target::Group { group: g }],
            },
        };
        self.store.expand(&targets).await
    }

    /// Whether the caller may change a news item: its author before publication, a publisher
    /// of its structure at any time (what the page offers them).
    pub async fn may_edit_news(&self, caller: &Principal, n: &News) -> Result<bool> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let st = self.standing_of(me).await?;
        Ok(Self::can_publish(caller, &st, n.structure) || (n.author == me && n.state != NewsState::Published))
    }

    /// Whether the caller may publish in a structure (what the page offers them).
    pub async fn may_publish(&self, caller: &Principal, structure: StructureId) -> Result<bool> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        Ok(Self::can_publish(caller, &self.standing_of(me).await?, structure))
    }

    /// A news item the caller may read (a reader, its author, a publisher).
    pub async fn read_news(&self, caller: &Principal, id: NewsId) -> Result<News> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let n = self.store.news(id).await?;
        let st = self.standing_of(me).await?;
        let readable = (n.live(self.clock.now()) && n.is_for(&st)) || n.author == me || Self::can_publish(caller, &st, n.structure);
        if !readable || n.territory != caller.territory {
            return Err(Error::NotFound);
        }
        Ok(n)
    }

    /// The caller's news board.
    pub async fn news_board(&self, caller: &Principal) -> Result<NewsBoard> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let st = self.standing_of(me).await?;
        let now = self.clock.now();
        let structures: Vec<StructureId> = st.structures().into_iter().collect();
        let mut published = vec![];
        let mut to_work_on = vec![];
        for n in self.store.news_of(&structures, 200).await? {
            if n.live(now) && n.is_for(&st) {
                published.push(n);
            } else if n.state != NewsState::Published && (n.author == me || (n.state == NewsState::Submitted && Self::can_publish(caller, &st, n.structure))) {
                to_work_on.push(n);
            }
        }
        let can_write_in = structures.into_iter().filter(|s| Self::can_write(caller, &st, *s)).collect();
        Ok(NewsBoard { published, to_work_on, can_write_in })
    }

    /// A structure's public news, newest first (for its public page and Atom feed).
    pub async fn public_news(&self, structure: StructureId) -> Result<Vec<News>> {
        let now = self.clock.now();
        Ok(self.store.news_of(&[structure], 50).await?.into_iter().filter(|n| n.public && n.live(now)).collect())
    }
}
