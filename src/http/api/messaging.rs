//! Messaging API (`/api/v1/messaging/…`): channels, templates, conversations (messages,
//! replies, templates, notes, assignment, client link), notifications, and the public
//! WhatsApp webhook Meta calls (`/api/v1/messaging/webhooks/{company}/{channel}`) and the
//! Instagram one (`/api/v1/messaging/instagram/{company}/{channel}`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Limits;
use crate::app::App;
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::ids::{ChannelId, ClientId, CompanyId, ConversationId, NotificationId, TemplateId, UserId};
use crate::messaging::{self, ChannelDraft, TemplateDraft, inbox, notify};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Serialize, ToSchema)]
pub struct ChannelDto {
    pub id: u64,
    pub name: String,
    /// `whatsapp` or `instagram`.
    pub kind: String,
    /// WhatsApp: Meta's phone number id; Instagram: the Instagram professional account id.
    pub phone_number_id: String,
    pub active: bool,
    /// The callback URL path to enter in Meta's app settings (prefix it with this box's public address).
    pub webhook_path: String,
    /// Whether the sealed secrets open on this box (false after a restore on another box).
    pub secrets_ok: bool,
}

fn channel_dto(app: &App, c: CompanyId, ch: &messaging::Channel, kind: messaging::Kind) -> ChannelDto {
    ChannelDto {
        id: ch.id.0,
        name: ch.name.clone(),
        kind: kind.code().into(),
        phone_number_id: ch.phone_number_id.clone(),
        active: ch.active,
        webhook_path: messaging::webhook_path(c, ch.id, kind),
        secrets_ok: messaging::secrets_ok(&app.box_key, c, ch),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelInput {
    pub name: String,
    pub phone_number_id: String,
    /// Required for a new channel; empty keeps the stored one.
    #[serde(default)]
    pub access_token: String,
    #[serde(default)]
    pub app_secret: String,
    #[serde(default)]
    pub verify_token: String,
    #[serde(default = "yes")]
    pub active: bool,
    /// A new channel's kind: `whatsapp` (the default) or `instagram`; an edit keeps the kind.
    #[serde(default)]
    pub kind: String,
}

fn yes() -> bool {
    true
}

#[utoipa::path(get, path = "/api/v1/messaging/channels", tag = "messaging", security(("bearer" = [])),
    responses((status = 200, body = Vec<ChannelDto>), (status = 403, body = Problem)))]
pub async fn channels(State(app): State<App>, a: Auth) -> Result<Json<Vec<ChannelDto>>> {
    messaging::require_admin(&a.actor)?;
    let c = a.actor.company;
    let tx = app.db.read()?;
    let mut out = Vec::new();
    for ch in messaging::channels(&tx, c)? {
        out.push(channel_dto(&app, c, &ch, messaging::channel_kind(&tx, c, ch.id)?));
    }
    Ok(Json(out))
}

async fn save_channel(app: App, a: Auth, id: Option<ChannelId>, i: ChannelInput) -> Result<ChannelDto> {
    messaging::require_admin(&a.actor)?;
    let (now, c, key) = (app.now(), a.actor.company, app.box_key.clone());
    let d = ChannelDraft {
        name: i.name,
        phone_number_id: i.phone_number_id,
        access_token: i.access_token,
        app_secret: i.app_secret,
        verify_token: i.verify_token,
        active: i.active,
        kind: messaging::Kind::parse(&i.kind)
            .ok_or_else(|| Error::field("kind", "invalid", "Канал: whatsapp или instagram", "Channel kind: whatsapp or instagram"))?,
    };
    let (ch, kind) = app
        .db
        .write(move |tx| {
            let id = messaging::save_channel(tx, &a.actor, &key, now, id, &d)?;
            Ok::<_, Error>((messaging::channel(tx, c, id)?, messaging::channel_kind(tx, c, id)?))
        })
        .await?;
    Ok(channel_dto(&app, c, &ch, kind))
}

#[utoipa::path(post, path = "/api/v1/messaging/channels", tag = "messaging", security(("bearer" = [])), request_body = ChannelInput,
    responses((status = 201, body = ChannelDto), (status = 422, body = Problem)))]
pub async fn create_channel(State(app): State<App>, a: Auth, Json(i): Json<ChannelInput>) -> Result<(StatusCode, Json<ChannelDto>)> {
    Ok((StatusCode::CREATED, Json(save_channel(app, a, None, i).await?)))
}

#[utoipa::path(put, path = "/api/v1/messaging/channels/{id}", tag = "messaging", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = ChannelInput, responses((status = 200, body = ChannelDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_channel(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<ChannelInput>) -> Result<Json<ChannelDto>> {
    Ok(Json(save_channel(app, a, Some(ChannelId(id)), i).await?))
}

#[derive(Serialize, ToSchema)]
pub struct TemplateDto {
    pub id: u64,
    /// Meta's template name.
    pub name: String,
    pub language: String,
    /// With `{{1}}`…`{{n}}` placeholders.
    pub body: String,
    pub params: u8,
    pub active: bool,
}

fn template_dto(t: &messaging::Template) -> TemplateDto {
    TemplateDto { id: t.id.0, name: t.name.clone(), language: t.language.clone(), body: t.body.clone(), params: t.params, active: t.active }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    pub name: String,
    pub language: String,
    pub body: String,
    #[serde(default = "yes")]
    pub active: bool,
}

#[utoipa::path(get, path = "/api/v1/messaging/templates", tag = "messaging", security(("bearer" = [])),
    responses((status = 200, body = Vec<TemplateDto>), (status = 403, body = Problem)))]
pub async fn templates(State(app): State<App>, a: Auth) -> Result<Json<Vec<TemplateDto>>> {
    messaging::require_inbox(&a.actor)?;
    Ok(Json(messaging::templates(&app.db.read()?, a.actor.company)?.iter().map(template_dto).collect()))
}

async fn save_template(app: App, a: Auth, id: Option<TemplateId>, i: TemplateInput) -> Result<TemplateDto> {
    messaging::require_admin(&a.actor)?;
    let (now, c) = (app.now(), a.actor.company);
    let d = TemplateDraft { name: i.name, language: i.language, body: i.body, active: i.active };
    let t = app
        .db
        .write(move |tx| {
            let id = messaging::save_template(tx, &a.actor, now, id, &d)?;
            messaging::template(tx, c, id)
        })
        .await?;
    Ok(template_dto(&t))
}

#[utoipa::path(post, path = "/api/v1/messaging/templates", tag = "messaging", security(("bearer" = [])), request_body = TemplateInput,
    responses((status = 201, body = TemplateDto), (status = 422, body = Problem)))]
pub async fn create_template(State(app): State<App>, a: Auth, Json(i): Json<TemplateInput>) -> Result<(StatusCode, Json<TemplateDto>)> {
    Ok((StatusCode::CREATED, Json(save_template(app, a, None, i).await?)))
}

#[utoipa::path(put, path = "/api/v1/messaging/templates/{id}", tag = "messaging", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = TemplateInput, responses((status = 200, body = TemplateDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_template(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<TemplateInput>) -> Result<Json<TemplateDto>> {
    Ok(Json(save_template(app, a, Some(TemplateId(id)), i).await?))
}

#[derive(Serialize, ToSchema)]
pub struct ConversationDto {
    pub id: u64,
    pub channel: u64,
    /// E.164
    pub phone: String,
    pub name: String,
    pub client: Option<u64>,
    pub assignee: Option<u64>,
    pub unread: u32,
    pub last_inbound: Option<String>,
    pub last_at: String,
    pub preview: String,
    /// Free-form text may be sent (the 24-hour window is open).
    pub window_open: bool,
    /// When the window closes, while open.
    pub window_closes: Option<String>,
}

pub fn conversation_dto(v: &messaging::Conversation, now: crate::clock::Ts) -> ConversationDto {
    ConversationDto {
        id: v.id.0,
        channel: v.channel.0,
        phone: v.phone.clone(),
        name: v.name.clone(),
        client: v.client.map(|c| c.0),
        assignee: v.assignee.map(|u| u.0),
        unread: v.unread,
        last_inbound: v.last_inbound.map(|t| t.rfc3339()),
        last_at: v.last_at.rfc3339(),
        preview: v.preview.clone(),
        window_open: messaging::model::window_open(v.last_inbound, now),
        window_closes: messaging::model::window_closes(v.last_inbound, now).map(|t| t.rfc3339()),
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ConversationQuery {
    /// Only conversations assigned to me.
    #[serde(default)]
    pub mine: bool,
}

#[utoipa::path(get, path = "/api/v1/messaging/conversations", tag = "messaging", security(("bearer" = [])), params(ConversationQuery),
    responses((status = 200, body = Vec<ConversationDto>), (status = 403, body = Problem)))]
pub async fn conversations(State(app): State<App>, a: Auth, Query(q): Query<ConversationQuery>) -> Result<Json<Vec<ConversationDto>>> {
    let now = app.now();
    Ok(Json(inbox::conversations(&app.db.read()?, &a.actor, q.mine)?.iter().map(|v| conversation_dto(v, now)).collect()))
}

#[utoipa::path(get, path = "/api/v1/messaging/conversations/{id}", tag = "messaging", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = ConversationDto), (status = 404, body = Problem)))]
pub async fn conversation(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<ConversationDto>> {
    Ok(Json(conversation_dto(&inbox::conversation(&app.db.read()?, &a.actor, ConversationId(id))?, app.now())))
}

#[derive(Serialize, ToSchema)]
pub struct MessageDto {
    pub id: u64,
    /// in, out or note
    pub direction: String,
    /// text, template, image, note, …
    pub kind: String,
    pub text: String,
    /// Meta's message id.
    pub wamid: Option<String>,
    /// received, queued, sent, delivered, read or failed
    pub state: String,
    /// Meta's error text when failed.
    pub error: Option<String>,
    pub author: Option<u64>,
    pub reaction: Option<String>,
    pub at: String,
}

pub fn message_dto(m: &messaging::Message) -> MessageDto {
    MessageDto {
        id: m.id.0,
        direction: m.direction.code().into(),
        kind: m.kind.clone(),
        text: m.text.clone(),
        wamid: m.wamid.clone(),
        state: m.state.code().into(),
        error: match &m.state {
            messaging::Delivery::Failed { error } => Some(error.clone()),
            _ => None,
        },
        author: m.author.map(|u| u.0),
        reaction: m.reaction.clone(),
        at: m.at.rfc3339(),
    }
}

#[utoipa::path(get, path = "/api/v1/messaging/conversations/{id}/messages", tag = "messaging", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = Vec<MessageDto>), (status = 404, body = Problem)))]
pub async fn messages(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Vec<MessageDto>>> {
    Ok(Json(inbox::messages(&app.db.read()?, &a.actor, ConversationId(id), 500)?.iter().map(message_dto).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendInput {
    /// Free-form text (only inside the 24-hour window)…
    #[serde(default)]
    pub text: Option<String>,
    /// …or an approved template with its variables (any time).
    #[serde(default)]
    pub template: Option<u64>,
    #[serde(default)]
    pub params: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/messaging/conversations/{id}/messages", tag = "messaging", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = SendInput, responses((status = 202, body = MessageDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn send(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<SendInput>,
) -> Result<(StatusCode, Json<MessageDto>)> {
    messaging::require_inbox(&a.actor)?;
    let (now, c, conv) = (app.now(), a.actor.company, ConversationId(id));
    let (m, live) = app
        .db
        .write(move |tx| match (i.template, i.text) {
            (Some(t), None) => inbox::send_template(tx, &a.actor, now, conv, TemplateId(t), &i.params),
            (None, Some(text)) => inbox::send_text(tx, &a.actor, now, conv, &text),
            _ => Err(Error::field("text", "text_or_template", "Укажите текст или шаблон", "Give a text or a template")),
        })
        .await?;
    messaging::publish(&app.live, c, live);
    Ok((StatusCode::ACCEPTED, Json(message_dto(&m))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    pub text: String,
}

#[utoipa::path(post, path = "/api/v1/messaging/conversations/{id}/notes", tag = "messaging", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = NoteInput, responses((status = 201, body = MessageDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn note(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<NoteInput>,
) -> Result<(StatusCode, Json<MessageDto>)> {
    messaging::require_inbox(&a.actor)?;
    let (now, c) = (app.now(), a.actor.company);
    let (m, live) = app.db.write(move |tx| inbox::add_note(tx, &a.actor, now, ConversationId(id), &i.text)).await?;
    messaging::publish(&app.live, c, live);
    Ok((StatusCode::CREATED, Json(message_dto(&m))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    /// A user with the inbox right; null unassigns.
    pub user: Option<u64>,
}

#[utoipa::path(post, path = "/api/v1/messaging/conversations/{id}/assign", tag = "messaging", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = AssignInput, responses((status = 200, body = ConversationDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn assign(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<AssignInput>) -> Result<Json<ConversationDto>> {
    messaging::require_inbox(&a.actor)?;
    let (now, c) = (app.now(), a.actor.company);
    let (v, live) = app.db.write(move |tx| inbox::assign(tx, &a.actor, now, ConversationId(id), i.user.map(UserId))).await?;
    messaging::publish(&app.live, c, live);
    Ok(Json(conversation_dto(&v, now)))
}

#[utoipa::path(post, path = "/api/v1/messaging/conversations/{id}/read", tag = "messaging", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn read(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<StatusCode> {
    messaging::require_inbox(&a.actor)?;
    let c = a.actor.company;
    let live = app.db.write(move |tx| inbox::mark_read(tx, &a.actor, ConversationId(id))).await?;
    messaging::publish(&app.live, c, live);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientLinkInput {
    /// Link this client (null unlinks)…
    #[serde(default)]
    pub client: Option<u64>,
    /// …or create a client with this name and the conversation's phone, and link it.
    #[serde(default)]
    pub create_name: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/messaging/conversations/{id}/client", tag = "messaging", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = ClientLinkInput, responses((status = 200, body = ConversationDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn link_client(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<ClientLinkInput>,
) -> Result<Json<ConversationDto>> {
    messaging::require_inbox(&a.actor)?;
    let now = app.now();
    let v = app
        .db
        .write(move |tx| match i.create_name {
            Some(name) => inbox::create_client(tx, &a.actor, now, ConversationId(id), &name),
            None => inbox::link_client(tx, &a.actor, now, ConversationId(id), i.client.map(ClientId)),
        })
        .await?;
    Ok(Json(conversation_dto(&v, now)))
}

#[derive(Serialize, ToSchema)]
pub struct NotificationDto {
    pub id: u64,
    pub kind: String,
    pub text: String,
    pub link: String,
    pub read: bool,
    pub at: String,
}

#[derive(Serialize, ToSchema)]
pub struct NotificationsDto {
    pub unread: u64,
    /// The newest 100.
    pub items: Vec<NotificationDto>,
}

#[utoipa::path(get, path = "/api/v1/messaging/notifications", tag = "messaging", security(("bearer" = [])),
    responses((status = 200, body = NotificationsDto)))]
pub async fn notifications(State(app): State<App>, a: Auth) -> Result<Json<NotificationsDto>> {
    let tx = app.db.read()?;
    let items = notify::list(&tx, &a.actor, 100)?
        .into_iter()
        .map(|n| NotificationDto { id: n.id.0, kind: n.kind, text: n.text, link: n.link, read: n.read, at: n.at.rfc3339() })
        .collect();
    Ok(Json(NotificationsDto { unread: notify::unread(&tx, a.actor.company, a.actor.user)?, items }))
}

#[utoipa::path(post, path = "/api/v1/messaging/notifications/{id}/read", tag = "messaging", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn notification_read(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<StatusCode> {
    let c = a.actor.company;
    let live = app.db.write(move |tx| notify::mark_read(tx, &a.actor, NotificationId(id))).await?;
    messaging::publish(&app.live, c, live);
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/messaging/notifications/read", tag = "messaging", security(("bearer" = [])),
    responses((status = 204)))]
pub async fn notifications_read(State(app): State<App>, a: Auth) -> Result<StatusCode> {
    let c = a.actor.company;
    let live = app.db.write(move |tx| notify::mark_all_read(tx, &a.actor)).await?;
    messaging::publish(&app.live, c, live);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    #[serde(rename = "hub.mode", default)]
    pub mode: String,
    #[serde(rename = "hub.verify_token", default)]
    pub verify_token: String,
    #[serde(rename = "hub.challenge", default)]
    pub challenge: String,
}

/// Meta's subscription check: answers `hub.challenge` for `hub.mode=subscribe` with the
/// channel's verify token, 403 otherwise.
#[utoipa::path(get, path = "/api/v1/messaging/webhooks/{company}/{channel}", tag = "messaging",
    params(("company" = u64, Path), ("channel" = u64, Path), Challenge),
    responses((status = 200, body = String, content_type = "text/plain"), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn webhook_verify(
    State(app): State<App>,
    Path((company, channel)): Path<(u64, u64)>,
    Query(q): Query<Challenge>,
) -> Result<String> {
    messaging::verify_subscription(
        &app.db.read()?,
        &app.box_key,
        CompanyId(company),
        ChannelId(channel),
        &q.mode,
        &q.verify_token,
        &q.challenge,
    )
}

/// A WhatsApp webhook: `X-Hub-Signature-256` is checked over the raw body before anything
/// parses it (401 and nothing stored on any mismatch); the body is stored for the messaging
/// worker and acknowledged at once.
#[utoipa::path(post, path = "/api/v1/messaging/webhooks/{company}/{channel}", tag = "messaging",
    params(("company" = u64, Path), ("channel" = u64, Path)), request_body(content = String, content_type = "application/json"),
    responses((status = 200), (status = 401, body = Problem), (status = 413, body = Problem)))]
pub async fn webhook(
    State(app): State<App>,
    Path((company, channel)): Path<(u64, u64)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode> {
    let (c, ch) = (CompanyId(company), ChannelId(channel));
    let signature = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok()).unwrap_or("");
    messaging::check_signature(&app.db.read()?, &app.box_key, c, ch, &body, signature)?;
    let now = app.now();
    let body = body.to_vec();
    app.db.write(move |tx| messaging::accept(tx, c, ch, body, now)).await?;
    Ok(StatusCode::OK)
}

/// Meta's subscription check for an Instagram channel (404 for any other channel).
#[utoipa::path(get, path = "/api/v1/messaging/instagram/{company}/{channel}", tag = "messaging",
    params(("company" = u64, Path), ("channel" = u64, Path), Challenge),
    responses((status = 200, body = String, content_type = "text/plain"), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn instagram_verify(
    State(app): State<App>,
    Path((company, channel)): Path<(u64, u64)>,
    Query(q): Query<Challenge>,
) -> Result<String> {
    let (c, ch) = (CompanyId(company), ChannelId(channel));
    messaging::require_kind(&app.db.read()?, c, ch, messaging::Kind::Instagram, Error::NotFound)?;
    webhook_verify(State(app), Path((company, channel)), Query(q)).await
}

/// An Instagram webhook (`object: instagram`): the same signature check over the raw body
/// before anything parses it, for Instagram channels only (401 for any other channel).
#[utoipa::path(post, path = "/api/v1/messaging/instagram/{company}/{channel}", tag = "messaging",
    params(("company" = u64, Path), ("channel" = u64, Path)), request_body(content = String, content_type = "application/json"),
    responses((status = 200), (status = 401, body = Problem), (status = 413, body = Problem)))]
pub async fn instagram_webhook(
    State(app): State<App>,
    Path((company, channel)): Path<(u64, u64)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode> {
    let (c, ch) = (CompanyId(company), ChannelId(channel));
    messaging::require_kind(&app.db.read()?, c, ch, messaging::Kind::Instagram, Error::Unauthorized)?;
    webhook(State(app), Path((company, channel)), headers, body).await
}

/// The webhooks Meta calls: open to anyone, bounded body, verified by signature.
pub fn public_routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(super::public(routes!(webhook_verify, webhook), messaging::WEBHOOK_BODY_LIMIT))
        .routes(super::public(routes!(instagram_verify, instagram_webhook), messaging::WEBHOOK_BODY_LIMIT))
}

pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(channels, create_channel))
        .routes(routes!(put_channel))
        .routes(routes!(templates, create_template))
        .routes(routes!(put_template))
        .routes(routes!(conversations))
        .routes(routes!(conversation))
        .routes(routes!(messages, send))
        .routes(routes!(note))
        .routes(routes!(assign))
        .routes(routes!(read))
        .routes(routes!(link_client))
        .routes(routes!(notifications))
        .routes(routes!(notification_read))
        .routes(routes!(notifications_read))
}
