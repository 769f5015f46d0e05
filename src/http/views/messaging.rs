//! Messaging pages: the inbox (`/inbox`, live), a conversation (`/inbox/{id}`: messages with
//! their delivery state, live; the composer — text inside the 24-hour window, approved
//! templates always; notes, assignment, the client link), the channel and template settings
//! (`/messaging/settings`) and the notification centre (`/notifications`, the bell's count
//! and its live stream). Live regions reload a fragment on every event of their SSE topic.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::form::{flash, refused};
use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::error::Result;
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{ConversationId, NotificationId, TemplateId, UserId};
use crate::messaging::model::{window_closes, window_open};
use crate::messaging::{self, ChannelDraft, Delivery, Direction, TemplateDraft, inbox, notify};
use crate::tenancy::perms::Perm;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/inbox", get(inbox_page))
        .route("/inbox/list", get(inbox_list))
        .route("/inbox/events", get(inbox_events))
        .route("/inbox/{id}", get(conversation_page))
        .route("/inbox/{id}/messages", get(conversation_messages))
        .route("/inbox/{id}/events", get(conversation_events))
        .route("/inbox/{id}/send", post(send))
        .route("/inbox/{id}/template", post(send_template))
        .route("/inbox/{id}/note", post(note))
        .route("/inbox/{id}/assign", post(assign))
        .route("/inbox/{id}/client", post(client))
        .route("/messaging/settings", get(settings_page))
        .route("/messaging/channels", post(channel_create))
        .route("/messaging/templates", post(template_create))
        .route("/notifications", get(notifications_page))
        .route("/notifications/read", post(notifications_read))
        .route("/notifications/{id}/open", post(notification_open))
        .route("/notifications/bell", get(bell))
        .route("/notifications/events", get(bell_events))
}

const FLASHES: &[&str] = &["saved", "sent"];

pub struct ConvRow {
    pub id: u64,
    pub title: String,
    pub phone: String,
    pub preview: String,
    pub unread: u32,
    pub at: String,
    pub assignee: String,
}

fn conv_rows(app: &App, ui: &Ui, tz: &str, mine: bool) -> Result<Vec<ConvRow>> {
    let tx = app.db.read()?;
    let users = crate::tenancy::query::users(&tx, ui.actor().company)?;
    let name_of = |u: Option<UserId>| u.and_then(|u| users.iter().find(|x| x.id == u)).map(|u| u.name.clone()).unwrap_or_default();
    Ok(inbox::conversations(&tx, ui.actor(), mine)?
        .into_iter()
        .map(|v| ConvRow {
            id: v.id.0,
            title: if v.name.is_empty() { v.phone.clone() } else { v.name.clone() },
            phone: v.phone.clone(),
            preview: v.preview.clone(),
            unread: v.unread,
            at: v.last_at.format_local(tz),
            assignee: name_of(v.assignee),
        })
        .collect())
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<ConvRow>,
    mine: bool,
    /// Conversations with unread messages: the company's, the agent's own.
    unread: (u64, u64),
}

#[derive(Template)]
#[template(path = "inbox_list_partial.html")]
struct InboxList {
    lang: Lang,
    rows: Vec<ConvRow>,
    unread: (u64, u64),
}

/// `?mine=1`: only the conversations assigned to the agent.
fn mine_of(uri: &axum::http::Uri) -> bool {
    Fields::parse(uri.query().unwrap_or("").as_bytes()).get("mine") == "1"
}

async fn inbox_page(State(app): State<App>, ui: Ui, uri: axum::http::Uri) -> Result<Response> {
    messaging::require_inbox(ui.actor())?;
    let shell = Shell::load(&app, &ui)?;
    let mine = mine_of(&uri);
    let rows = conv_rows(&app, &ui, &shell.timezone, mine)?;
    let unread = inbox::unread_counts(&app.db.read()?, ui.actor())?;
    render(StatusCode::OK, &InboxPage { lang: ui.lang, shell, rows, mine, unread })
}

async fn inbox_list(State(app): State<App>, ui: Ui, uri: axum::http::Uri) -> Result<Response> {
    messaging::require_inbox(ui.actor())?;
    let tz = crate::tenancy::query::company(&app.db.read()?, ui.actor().company)?.timezone;
    let mine = mine_of(&uri);
    let unread = inbox::unread_counts(&app.db.read()?, ui.actor())?;
    render(StatusCode::OK, &InboxList { lang: ui.lang, rows: conv_rows(&app, &ui, &tz, mine)?, unread })
}

async fn inbox_events(State(app): State<App>, ui: Ui) -> Result<Response> {
    messaging::require_inbox(ui.actor())?;
    Ok(crate::http::live::stream(&app, ui.actor().company, "inbox").into_response())
}

pub struct MsgRow {
    pub id: u64,
    pub direction: &'static str,
    pub text: String,
    pub kind: String,
    pub at: String,
    pub state: &'static str,
    pub state_label: &'static str,
    pub error: String,
    pub reaction: String,
}

fn msg_rows(app: &App, ui: &Ui, id: ConversationId, tz: &str) -> Result<Vec<MsgRow>> {
    let lang = ui.lang;
    Ok(inbox::messages(&app.db.read()?, ui.actor(), id, 200)?
        .into_iter()
        .map(|m| MsgRow {
            id: m.id.0,
            direction: m.direction.code(),
            kind: m.kind.clone(),
            at: m.at.format_local(tz),
            state: m.state.code(),
            state_label: if m.direction == Direction::Out { lang.t(&format!("messaging.state_{}", m.state.code())) } else { "" },
            error: match &m.state {
                Delivery::Failed { error } => error.clone(),
                _ => String::new(),
            },
            reaction: m.reaction.clone().unwrap_or_default(),
            text: m.text,
        })
        .collect())
}

pub struct TemplateRow {
    pub id: u64,
    pub name: String,
    pub language: String,
    pub body: String,
    pub params: Vec<u8>,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "conversation.html")]
struct ConversationPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    title: String,
    phone: String,
    client: Option<u64>,
    client_name: String,
    window_open: bool,
    window_closes: String,
    assignees: Vec<Choice>,
    can_assign_others: bool,
    messages: Vec<MsgRow>,
    templates: Vec<TemplateRow>,
    errs: Errors,
}

#[derive(Template)]
#[template(path = "conversation_messages_partial.html")]
struct MessagesPartial {
    lang: Lang,
    messages: Vec<MsgRow>,
}

fn conversation_for(app: &App, ui: &Ui, uri: &Uri, id: ConversationId, errs: Errors) -> Result<ConversationPage> {
    let actor = ui.actor();
    let tx = app.db.read()?;
    let v = inbox::conversation(&tx, actor, id)?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri, FLASHES, "messaging.");
    let now = app.now();
    let users = crate::tenancy::query::users(&tx, actor.company)?;
    let agents = notify::users_with(&tx, actor.company, Perm::INBOX)?;
    let mut assignees =
        vec![Choice { value: String::new(), label: ui.lang.t("messaging.unassigned").into(), selected: v.assignee.is_none() }];
    assignees.extend(users.iter().filter(|u| agents.contains(&u.id)).map(|u| Choice {
        value: u.id.0.to_string(),
        label: u.name.clone(),
        selected: v.assignee == Some(u.id),
    }));
    let client_name = match v.client {
        Some(c) => crate::clients::read_client_unchecked(&tx, actor.company, c)?.map(|c| c.name).unwrap_or_default(),
        None => String::new(),
    };
    let templates = messaging::templates(&tx, actor.company)?
        .into_iter()
        .filter(|t| t.active)
        .map(|t| TemplateRow {
            id: t.id.0,
            params: (1..=t.params).collect(),
            name: t.name,
            language: t.language,
            body: t.body,
            active: t.active,
        })
        .collect();
    drop(tx);
    Ok(ConversationPage {
        lang: ui.lang,
        id: id.0,
        title: if v.name.is_empty() { v.phone.clone() } else { v.name.clone() },
        phone: v.phone.clone(),
        client: v.client.map(|c| c.0),
        client_name,
        window_open: window_open(v.last_inbound, now),
        window_closes: window_closes(v.last_inbound, now).map(|t| t.format_local(&shell.timezone)).unwrap_or_default(),
        assignees,
        can_assign_others: actor.can(Perm::INBOX_ADMIN),
        messages: msg_rows(app, ui, id, &shell.timezone)?,
        templates,
        errs,
        shell,
    })
}

/// Opening a conversation (or its live fragment) marks it read.
async fn seen(app: &App, ui: &Ui, id: ConversationId) -> Result<()> {
    let (actor, c) = (ui.actor().clone(), ui.actor().company);
    if actor.require_writable().is_err() || inbox::conversation(&app.db.read()?, &actor, id)?.unread == 0 {
        return Ok(());
    }
    let live = app.db.write(move |tx| inbox::mark_read(tx, &actor, id)).await?;
    messaging::publish(&app.live, c, live);
    Ok(())
}

async fn conversation_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    let id = ConversationId(id);
    inbox::conversation(&app.db.read()?, ui.actor(), id)?;
    seen(&app, &ui, id).await?;
    render(StatusCode::OK, &conversation_for(&app, &ui, &uri, id, Errors::default())?)
}

async fn conversation_messages(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    let id = ConversationId(id);
    inbox::conversation(&app.db.read()?, ui.actor(), id)?;
    seen(&app, &ui, id).await?;
    let tz = crate::tenancy::query::company(&app.db.read()?, ui.actor().company)?.timezone;
    render(StatusCode::OK, &MessagesPartial { lang: ui.lang, messages: msg_rows(&app, &ui, id, &tz)? })
}

async fn conversation_events(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    let id = ConversationId(id);
    inbox::conversation(&app.db.read()?, ui.actor(), id)?;
    Ok(crate::http::live::stream(&app, ui.actor().company, &format!("conv:{id}")).into_response())
}

/// Runs one conversation action; a refusal re-renders the page with its message.
async fn act<T: Send + 'static>(
    app: App,
    ui: Ui,
    uri: Uri,
    id: ConversationId,
    op: impl FnOnce(&mut crate::storage::WriteTx, &crate::tenancy::actor::Actor, crate::clock::Ts) -> Result<(T, Vec<messaging::Live>)>
    + Send
    + 'static,
    ok: &str,
) -> Result<Response> {
    let (actor, now, c) = (ui.actor().clone(), app.now(), ui.actor().company);
    match app.db.write(move |tx| op(tx, &actor, now)).await {
        Ok((_, live)) => {
            messaging::publish(&app.live, c, live);
            Ok(see_other(&format!("/inbox/{id}?ok={ok}")))
        }
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["text", "params", "user", "name"])?;
            render(status, &conversation_for(&app, &ui, &uri, id, errs)?)
        }
    }
}

async fn send(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    messaging::require_inbox(ui.actor())?;
    let (id, text) = (ConversationId(id), f.get("text"));
    act(app, ui, uri, id, move |tx, a, now| inbox::send_text(tx, a, now, id, &text), "sent").await
}

async fn send_template(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    messaging::require_inbox(ui.actor())?;
    let id = ConversationId(id);
    let template = TemplateId(f.get("template").trim().parse().unwrap_or(0));
    let params = f.all("param");
    act(app, ui, uri, id, move |tx, a, now| inbox::send_template(tx, a, now, id, template, &params), "sent").await
}

async fn note(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    messaging::require_inbox(ui.actor())?;
    let (id, text) = (ConversationId(id), f.get("text"));
    act(app, ui, uri, id, move |tx, a, now| inbox::add_note(tx, a, now, id, &text), "saved").await
}

async fn assign(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    messaging::require_inbox(ui.actor())?;
    let id = ConversationId(id);
    let user = if f.has("take") { Some(ui.actor().user) } else { f.get("user").trim().parse().ok().map(UserId) };
    act(app, ui, uri, id, move |tx, a, now| inbox::assign(tx, a, now, id, user), "saved").await
}

async fn client(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    messaging::require_inbox(ui.actor())?;
    let id = ConversationId(id);
    let name = f.get("name");
    let unlink = f.has("unlink");
    act(
        app,
        ui,
        uri,
        id,
        move |tx, a, now| {
            let v = if unlink { inbox::link_client(tx, a, now, id, None)? } else { inbox::create_client(tx, a, now, id, &name)? };
            Ok((v, Vec::new()))
        },
        "saved",
    )
    .await
}

pub struct ChannelRow {
    pub id: u64,
    pub name: String,
    /// `whatsapp` or `instagram`.
    pub kind: &'static str,
    pub phone_number_id: String,
    pub webhook_url: String,
    /// Meta's callback URL through the relay, when one is configured.
    pub relay_url: String,
    pub active: bool,
    pub secrets_ok: bool,
}

#[derive(Template)]
#[template(path = "messaging_settings.html")]
struct SettingsPage {
    lang: Lang,
    shell: Shell,
    channels: Vec<ChannelRow>,
    templates: Vec<TemplateRow>,
    channel: ChannelDraft,
    template: TemplateDraft,
    errs: Errors,
    relay_line: String,
    relay_tone: &'static str,
}

fn settings_for(app: &App, ui: &Ui, uri: &Uri, channel: ChannelDraft, template: TemplateDraft, errs: Errors) -> Result<SettingsPage> {
    messaging::require_admin(ui.actor())?;
    let c = ui.actor().company;
    let tx = app.db.read()?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri, FLASHES, "messaging.");
    let relay = app.relay.status();
    let relay_base = relay_base(&app.config.relay);
    let tz = shell.timezone.clone();
    let (relay_line, relay_tone) =
        super::box_ops::relay_line(ui.lang, &relay, |t| t.map_or_else(|| "—".to_string(), |t| t.format_local(&tz)));
    let mut channels = Vec::new();
    for ch in messaging::channels(&tx, c)? {
        let kind = messaging::channel_kind(&tx, c, ch.id)?;
        channels.push(ChannelRow {
            id: ch.id.0,
            kind: kind.code(),
            webhook_url: format!("{}{}", ui.origin, messaging::webhook_path(c, ch.id, kind)),
            secrets_ok: messaging::secrets_ok(&app.box_key, c, &ch),
            relay_url: relay_base
                .as_ref()
                .map(|(base, id)| format!("{base}{}", crate::relay::hook_path(*id, c.0, ch.id.0)))
                .unwrap_or_default(),
            name: ch.name,
            phone_number_id: ch.phone_number_id,
            active: ch.active,
        });
    }
    let templates = messaging::templates(&tx, c)?
        .into_iter()
        .map(|t| TemplateRow {
            id: t.id.0,
            params: (1..=t.params).collect(),
            name: t.name,
            language: t.language,
            body: t.body,
            active: t.active,
        })
        .collect();
    Ok(SettingsPage { lang: ui.lang, shell, channels, templates, channel, template, errs, relay_line, relay_tone })
}

/// The relay's public HTTPS base (from its `ws(s)://` link URL) and this box's id on it (the
/// token's prefix), when both are configured.
fn relay_base(r: &crate::config::RelayConfig) -> Option<(String, u64)> {
    let id = crate::relay::token_box(r.token.as_deref()?)?;
    let url = r.url.as_deref()?.trim_end_matches('/');
    let base = if let Some(rest) = url.strip_prefix("wss://") {
        format!("https://{rest}")
    } else {
        format!("http://{}", url.strip_prefix("ws://")?)
    };
    Some((base, id))
}

async fn settings_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    let template = TemplateDraft { language: "ru".into(), active: true, ..Default::default() };
    render(StatusCode::OK, &settings_for(&app, &ui, &uri, ChannelDraft::default(), template, Errors::default())?)
}

async fn channel_create(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    messaging::require_admin(ui.actor())?;
    let d = ChannelDraft {
        name: f.get("name"),
        phone_number_id: f.get("phone_number_id"),
        access_token: f.get("access_token"),
        app_secret: f.get("app_secret"),
        verify_token: f.get("verify_token"),
        active: true,
        kind: messaging::Kind::parse(&f.get("kind"))
            .ok_or_else(|| crate::error::Error::field("kind", "invalid", "Выберите канал", "Choose a channel kind"))?,
    };
    let (actor, now, key, draft) = (ui.actor().clone(), app.now(), app.box_key.clone(), d.clone());
    match app.db.write(move |tx| messaging::save_channel(tx, &actor, &key, now, None, &draft)).await {
        Ok(_) => Ok(see_other("/messaging/settings?ok=saved")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["name", "phone_number_id", "access_token", "app_secret", "verify_token"])?;
            // Secrets are never sent back to the browser.
            let d = ChannelDraft { access_token: String::new(), app_secret: String::new(), verify_token: String::new(), ..d };
            let template = TemplateDraft { language: "ru".into(), active: true, ..Default::default() };
            render(status, &settings_for(&app, &ui, &uri, d, template, errs)?)
        }
    }
}

async fn template_create(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    messaging::require_admin(ui.actor())?;
    let d = TemplateDraft { name: f.get("tname"), language: f.get("language"), body: f.get("body"), active: true };
    let (actor, now, draft) = (ui.actor().clone(), app.now(), d.clone());
    match app.db.write(move |tx| messaging::save_template(tx, &actor, now, None, &draft)).await {
        Ok(_) => Ok(see_other("/messaging/settings?ok=saved")),
        Err(e) => {
            let (status, mut errs) = refused(e, ui.lang, &["language", "body"])?;
            if !errs.any() {
                errs = Errors::form(ui.lang.t("messaging.template_invalid").into());
            }
            render(status, &settings_for(&app, &ui, &uri, ChannelDraft::default(), d, errs)?)
        }
    }
}

pub struct NotificationRow {
    pub id: u64,
    pub text: String,
    pub at: String,
    pub read: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<NotificationRow>,
}

async fn notifications_page(State(app): State<App>, ui: Ui) -> Result<Response> {
    let shell = Shell::load(&app, &ui)?;
    let rows = notify::list(&app.db.read()?, ui.actor(), 200)?
        .into_iter()
        .map(|n| NotificationRow { id: n.id.0, text: n.text, at: n.at.format_local(&shell.timezone), read: n.read })
        .collect();
    render(StatusCode::OK, &NotificationsPage { lang: ui.lang, shell, rows })
}

async fn notifications_read(State(app): State<App>, ui: Ui) -> Result<Response> {
    let (actor, c) = (ui.actor().clone(), ui.actor().company);
    let live = app.db.write(move |tx| notify::mark_all_read(tx, &actor)).await?;
    messaging::publish(&app.live, c, live);
    Ok(see_other("/notifications"))
}

/// Marks one notification read and opens what it links to.
async fn notification_open(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    let (actor, c, id) = (ui.actor().clone(), ui.actor().company, NotificationId(id));
    let link = notify::list(&app.db.read()?, ui.actor(), usize::MAX)?.into_iter().find(|n| n.id == id).map(|n| n.link);
    let live = app.db.write(move |tx| notify::mark_read(tx, &actor, id)).await?;
    messaging::publish(&app.live, c, live);
    // Only the app's own pages are linked (notifications are written by the app).
    let to = link.filter(|l| l.starts_with('/') && !l.starts_with("//")).unwrap_or_else(|| "/notifications".into());
    Ok(see_other(&to))
}

#[derive(Template)]
#[template(path = "bell_partial.html")]
struct Bell {
    lang: Lang,
    count: u64,
}

async fn bell(State(app): State<App>, ui: Ui) -> Result<Response> {
    let count = notify::unread(&app.db.read()?, ui.actor().company, ui.actor().user)?;
    render(StatusCode::OK, &Bell { lang: ui.lang, count })
}

async fn bell_events(State(app): State<App>, ui: Ui) -> Result<Response> {
    Ok(crate::http::live::stream(&app, ui.actor().company, &notify::topic(ui.actor().user)).into_response())
}
