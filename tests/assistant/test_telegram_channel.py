"""The Telegram channel over real HTTP: Telegram-shaped updates in, Bot API calls out.

The channel's blueprint runs in a real Sanic app (registered by Rasa's `register()`), a scripted
assistant stands in for Rasa's agent, and every Bot API call lands in the local test double.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.guard import RATE_LIMITED, TOO_LONG, Limits, MessageGuard, response_text
from connectors.telegram import FAILURE_TEXT, MAX_BODY_BYTES, TelegramInput
from connectors.telegram_config import DISABLED_REASON, TelegramConfig
from connectors.telegram_render import LOCATION_BUTTON
from connectors.telegram_updates import EXPIRED_BUTTON, MEDIA_HINT
from tests.assistant.telegram_double import (
    BOT_USERNAME,
    ChannelHost,
    ScriptedAssistant,
    TelegramDouble,
    Updates,
)

# fixtures telegram_double, telegram_updates
pytest_plugins = ["tests.assistant.telegram_double"]

SECRET = "test-secret_0815"
SALT = "telegram-channel-test-salt-0123456789"
# Generous limits for the module's shared channel (the rate-limit tests run their own channel).
LIMITS = Limits(max_chars=2000, per_conversation=(1000, 60), per_address=(1000, 60))
UPDATE_IDS = itertools.count(900_000)
CHAT = str(Updates.PRIVATE_CHAT)
LONG_PAYLOAD = (
    '/transit_departures{"stop": "Duisburg Rathaus", "line": "903", "direction": "Dinslaken"}'
)
PARAGRAPH = "Die Linie 903 fährt alle zehn Minuten vom Rathaus Richtung Dinslaken. " * 6
LONG_TEXT = "\n\n".join(f"{i}. {PARAGRAPH.strip()}" for i in range(12))  # about 5,000 characters
MARKUP_TEXT = "<b>Fett?</b> Nein: <script>alert(1)</script> & „Zitat“"
BUTTONS = [
    {"title": "Abfahrten am Rathaus (Linie 903)", "payload": LONG_PAYLOAD},
    {"title": "Freie Parkplätze am Hbf", "payload": '/parking_free_spaces{"stop": "Duisburg Hbf"}'},
    {"title": "👍", "payload": '/feedback{"rating":"positive"}'},
    {"title": "👎", "payload": '/feedback{"rating":"negative"}'},
]


def script(message: Any) -> list[dict[str, Any]]:
    """What the stand-in assistant answers, chosen by the user message."""
    replies = {
        "buttons": [{"text": "Was möchten Sie wissen?", "buttons": BUTTONS}],
        "lang": [{"text": LONG_TEXT}],
        "markup": [{"text": MARKUP_TEXT}],
        "standort": [{"text": "Wo möchten Sie parken?", "custom": {"request_location": True}}],
        "nur standort": [{"custom": {"request_location": True}}],
    }
    if message.text == "kaputt":
        raise RuntimeError("assistant failure")
    return replies.get(message.text, [{"text": "Gern geholfen."}])


@pytest.fixture(scope="module")
def channel(telegram_double: TelegramDouble) -> Iterator[ChannelHost]:
    config = TelegramConfig(
        token=telegram_double.token, secret_token=SECRET, api_base_url=telegram_double.api_base_url
    )
    channel = TelegramInput(
        config, guard=MessageGuard(LIMITS), salt=SALT, api_options={"backoff": 0.05}
    )
    host = ChannelHost(channel, ScriptedAssistant(script)).start()
    yield host
    host.stop()


@pytest.fixture(autouse=True)
def fresh(channel: ChannelHost, telegram_double: TelegramDouble) -> None:
    channel.drain()
    telegram_double.reset()
    channel.assistant.messages.clear()


def conversation(chat_id: int | str) -> str:
    """The Rasa sender id the channel gives a chat (what guard.conversation_id computes)."""
    from connectors.guard import conversation_id

    return conversation_id("telegram", str(chat_id), salt=SALT)


def say(channel: ChannelHost, update: dict[str, Any]) -> list[Any]:
    """Post one update, wait until it is handled, return the user messages Rasa received."""
    answer = channel.post(update)
    assert answer.status_code == 200, answer.text
    channel.drain()
    return channel.assistant.messages


def test_health_route_reports_mode(channel: ChannelHost) -> None:
    answer = channel.get("/")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "mode": "polling", "ready": True}


def test_text_message_becomes_user_message_and_answer_reaches_chat(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    started = time.monotonic()
    answer = channel.post(telegram_updates.text("Wo kann ich am Hauptbahnhof parken?"))
    assert answer.status_code == 200
    assert time.monotonic() - started < 2  # Telegram gets its 200 before the assistant answers

    [sent] = telegram_double.wait_for("sendMessage")
    [message] = channel.assistant.wait_for(1)
    assert message.text == "Wo kann ich am Hauptbahnhof parken?"
    assert message.sender_id == conversation(CHAT)
    assert message.input_channel == "telegram"
    assert message.metadata == {"chat_type": "private", "update_type": "message"}
    assert sent.params["chat_id"] == CHAT
    assert sent.params["text"] == "Gern geholfen."
    assert "parse_mode" not in sent.params
    [typing] = telegram_double.calls("sendChatAction")
    assert typing.params == {"chat_id": CHAT, "action": "typing"}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("/start", "/greet"),
        ("/start aus-dem-flyer", "/greet"),
        ("/hilfe", "/help"),
        ("/help", "/help"),
        (f"/help@{BOT_USERNAME}", "/help"),
        ("/datenschutz", "/privacy_notice"),
        (f"/datenschutz@{BOT_USERNAME}", "/privacy_notice"),
        ("/loeschen", "/delete_my_data"),
        ("/Loeschen", "/delete_my_data"),
        ("/löschen", "/delete_my_data"),  # typed by hand (Telegram's commands have no umlauts)
        ("/restart", "/restart"),
    ],
)
def test_commands(
    channel: ChannelHost, telegram_updates: Updates, typed: str, expected: str
) -> None:
    [message] = say(channel, telegram_updates.text(typed))
    assert message.text == expected


def test_buttons_become_inline_keyboard_and_pressing_them_sends_the_payload(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    say(channel, telegram_updates.text("buttons"))
    [sent] = telegram_double.calls("sendMessage")
    rows = sent.params["reply_markup"]["inline_keyboard"]
    assert [[button["text"] for button in row] for row in rows] == [
        ["Abfahrten am Rathaus (Linie 903)"],
        ["Freie Parkplätze am Hbf"],
        ["👍", "👎"],
    ]
    datas = [button["callback_data"] for row in rows for button in row]
    assert all(len(data.encode()) <= 64 for data in datas)
    assert datas[1:] == [button["payload"] for button in BUTTONS[1:]]
    assert datas[0] != LONG_PAYLOAD  # too long for Telegram: sent as a short key

    channel.assistant.messages.clear()
    telegram_double.reset()
    for data in (datas[0], datas[2]):
        say(channel, telegram_updates.callback(data))
    first, second = channel.assistant.messages
    assert first.text == LONG_PAYLOAD
    assert second.text == '/feedback{"rating":"positive"}'
    assert first.metadata == {"chat_type": "private", "update_type": "callback_query"}
    methods = [call.method for call in telegram_double.calls() if call.method != "sendChatAction"]
    # the spinner stops first, then the assistant's answer arrives
    assert methods == ["answerCallbackQuery", "sendMessage"] * 2
    answered = telegram_double.calls("answerCallbackQuery")
    assert all(call.params["callback_query_id"].startswith("cbq-") for call in answered)


def test_unknown_button_key_is_answered_without_asking_the_assistant(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    assert say(channel, telegram_updates.callback("~k:AAAAAAAAAAAAAAAAAAAAAAAAAAAA")) == []
    [answered] = telegram_double.calls("answerCallbackQuery")
    assert answered.params["text"] == EXPIRED_BUTTON
    assert telegram_double.calls("sendMessage") == []


def test_shared_location_becomes_share_location_payload(
    channel: ChannelHost, telegram_updates: Updates
) -> None:
    [message] = say(channel, telegram_updates.location(51.430728, 6.775061))
    intent, entities = message.text.split("{", 1)
    assert intent == "/share_location"
    assert json.loads("{" + entities) == {"latitude": 51.430728, "longitude": 6.775061}


def test_edited_message_is_handled_as_a_new_message(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    [message] = say(channel, telegram_updates.text("Abfahrten am Rathuas", edited=True))
    assert message.text == "Abfahrten am Rathuas"
    assert message.metadata["update_type"] == "edited_message"
    assert len(telegram_double.calls("sendMessage")) == 1


def test_live_location_updates_are_ignored(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    assert say(channel, telegram_updates.location(51.43, 6.77, edited=True)) == []
    assert telegram_double.calls() == []


@pytest.mark.parametrize("kind", ["sticker", "voice"])
def test_stickers_and_voice_get_a_hint_without_the_assistant(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates, kind: str
) -> None:
    assert say(channel, getattr(telegram_updates, kind)()) == []
    assert telegram_double.sent_texts() == [MEDIA_HINT]


def test_group_messages_only_when_the_bot_is_addressed(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    group = {"chat_type": "supergroup"}
    updates = [
        telegram_updates.text("Hallo zusammen, wer kommt heute?", **group),
        telegram_updates.text(f"@{BOT_USERNAME} wo kann ich am Zoo parken?", **group),
        telegram_updates.text("Und am Rathaus?", reply_to_bot=True, **group),
        telegram_updates.text("/hilfe", **group),
        telegram_updates.text("/start@some_other_bot", **group),
        telegram_updates.sticker(**group),
        telegram_updates.location(51.43, 6.77, **group),
        telegram_updates.member_joined(),
    ]
    for update in updates:
        assert channel.post(update).status_code == 200
    channel.drain()
    messages = channel.assistant.messages
    assert [m.text for m in messages] == ["wo kann ich am Zoo parken?", "Und am Rathaus?", "/help"]
    assert {m.sender_id for m in messages} == {conversation(Updates.GROUP_CHAT)}
    assert {m.metadata["chat_type"] for m in messages} == {"supergroup"}
    assert telegram_double.sent_texts() == ["Gern geholfen."] * 3  # no hint for the sticker


def test_duplicate_update_id_is_processed_once(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    update = telegram_updates.text("Wann fährt die 903?")
    assert channel.post(update).status_code == 200
    assert channel.post(update).status_code == 200  # Telegram's retry must not be an error
    channel.drain()
    assert len(channel.assistant.messages) == 1
    assert len(telegram_double.calls("sendMessage")) == 1


@pytest.mark.parametrize("secret", ["", "wrong-secret", SECRET + "x", SECRET[:-1]])
def test_requests_without_the_right_secret_are_refused(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates, secret: str
) -> None:
    answer = channel.post(telegram_updates.text("Hallo"), secret=secret)
    assert answer.status_code == 403
    channel.drain()
    assert channel.assistant.messages == []
    assert telegram_double.calls() == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (b'{"message": {"text": "hi"}}', 400),
        (b'{"update_id": "7"}', 400),
        (b'{"update_id": 1, "padding": "' + b"x" * 300_000 + b'"}', 413),
    ],
)
def test_malformed_bodies_are_client_errors(
    channel: ChannelHost, telegram_double: TelegramDouble, body: bytes, status: int
) -> None:
    assert channel.post(body).status_code == status
    channel.drain()
    assert channel.assistant.messages == []
    assert telegram_double.calls("sendMessage") == []


def test_unhandled_and_unparseable_updates_are_acknowledged_and_ignored(
    channel: ChannelHost, telegram_double: TelegramDouble
) -> None:
    user = {"id": 5, "is_bot": False, "first_name": "A"}
    poll_answer = {
        "poll_id": "1", "user": user, "option_ids": [0], "option_persistent_ids": ["a"],
    }  # fmt: skip
    # Telegram retries what it does not get a 2xx for: an update the library cannot parse
    # (missing fields here; a newer Bot API in real life) is acknowledged, not refused.
    unparseable = {"text": "no chat, no date"}
    for update in ({"poll_answer": poll_answer}, {"message": unparseable}):
        assert say(channel, {"update_id": next(UPDATE_IDS), **update}) == []
    assert telegram_double.calls("sendMessage") == []


def test_long_answer_is_split_at_paragraphs(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    assert len(LONG_TEXT) > 4096
    say(channel, telegram_updates.text("lang"))
    texts = telegram_double.sent_texts()
    assert len(texts) == 2
    assert all(len(text) <= 4096 for text in texts)
    assert "\n\n".join(texts) == LONG_TEXT  # cut between paragraphs, nothing lost
    assert all(text.endswith("Dinslaken.") for text in texts)


def test_markup_in_bot_text_arrives_literally(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    say(channel, telegram_updates.text("markup"))
    [sent] = telegram_double.calls("sendMessage")
    assert sent.params["text"] == MARKUP_TEXT
    assert "parse_mode" not in sent.params


def test_location_request_is_a_reply_keyboard_on_the_question(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    say(channel, telegram_updates.text("standort"))
    [sent] = telegram_double.calls("sendMessage")
    assert sent.params["text"] == "Wo möchten Sie parken?"
    keyboard = sent.params["reply_markup"]
    assert keyboard["keyboard"] == [[{"text": LOCATION_BUTTON, "request_location": True}]]
    assert keyboard["one_time_keyboard"] is True

    telegram_double.reset()
    say(channel, telegram_updates.text("nur standort"))
    [sent] = telegram_double.calls("sendMessage")
    assert "Standort teilen" in sent.params["text"]
    assert sent.params["reply_markup"]["keyboard"][0][0]["request_location"] is True


def test_location_request_in_a_group_is_text_only(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    say(channel, telegram_updates.text("standort", reply_to_bot=True, chat_type="supergroup"))
    [sent] = telegram_double.calls("sendMessage")
    assert "reply_markup" not in sent.params  # Telegram offers request_location in private only


def test_flood_control_429_is_retried_after_retry_after(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    telegram_double.fail_next("sendMessage", retry_after=1)
    say(channel, telegram_updates.text("Hallo"))
    refused, delivered = telegram_double.calls("sendMessage")
    assert (refused.status, delivered.status) == (429, 200)
    assert delivered.at - refused.at >= 0.95
    assert delivered.params["text"] == "Gern geholfen."


def test_flood_control_is_bounded(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    telegram_double.fail_next("sendMessage", retry_after=1, times=5)
    say(channel, telegram_updates.text("Hallo"))
    assert [call.status for call in telegram_double.calls("sendMessage")] == [429, 429, 429]


def test_server_errors_are_retried(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    telegram_double.fail_next("sendMessage", status=502)
    say(channel, telegram_updates.text("Hallo"))
    assert [call.status for call in telegram_double.calls("sendMessage")] == [502, 200]


def test_blocked_chat_is_not_retried(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    telegram_double.blocked_chats.add(CHAT)
    say(channel, telegram_updates.text("lang"))  # two chunks: stop after the first refusal
    assert [call.status for call in telegram_double.calls("sendMessage")] == [403]


def test_assistant_failure_gets_an_apology(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    say(channel, telegram_updates.text("kaputt"))
    assert telegram_double.sent_texts() == [FAILURE_TEXT]


def test_messages_of_one_chat_are_answered_in_order(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    telegram_double.fail_next("sendMessage", retry_after=1)  # the first answer is held up
    for text in ("erste", "zweite", "dritte"):
        assert channel.post(telegram_updates.text(text)).status_code == 200
    channel.drain()
    assert [m.text for m in channel.assistant.messages] == ["erste", "zweite", "dritte"]
    assert [c.status for c in telegram_double.calls("sendMessage")] == [429, 200, 200, 200]


def test_logs_carry_no_personal_data(
    channel: ChannelHost,
    telegram_double: TelegramDouble,
    telegram_updates: Updates,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    secret_text = "Mein Name ist Erika Mustermann, Vorgang DU-2026-004711"
    chat_id = 987654321
    telegram_double.fail_next("sendMessage", status=502)  # a warning is logged, too
    say(channel, telegram_updates.text(secret_text, chat_id=chat_id))
    say(channel, telegram_updates.text("kaputt", chat_id=chat_id))
    assert caplog.records, "the channel logs something"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for private in (secret_text, "Erika", str(chat_id), telegram_double.token, SECRET):
        assert private not in logged


def test_disabled_channel_answers_503_and_calls_nothing(telegram_double: TelegramDouble) -> None:
    channel = TelegramInput.from_credentials(
        {"access_token": "", "secret_token": "", "webhook_url": "", "api_base_url": ""}
    )
    assert channel.get_output_channel() is None
    host = ChannelHost(channel).start()
    try:
        telegram_double.reset()
        answer = host.post(Updates().text("Hallo"), secret="")
        assert answer.status_code == 503
        assert answer.text == DISABLED_REASON
        assert "\n" not in answer.text
        assert host.get("/").json()["status"] == "disabled"
    finally:
        host.stop()
    assert telegram_double.calls() == []
    assert host.assistant.messages == []


def test_webhook_mode_registers_the_webhook_at_startup(telegram_double: TelegramDouble) -> None:
    url = "https://stadtlotse.example.org/webhooks/telegram/webhook"
    telegram_double.reset()
    config = TelegramConfig(
        token=telegram_double.token, webhook_url=url, api_base_url=telegram_double.api_base_url
    )
    host = ChannelHost(TelegramInput(config)).start()
    try:
        [call] = telegram_double.wait_for("setWebhook")
        assert call.params["url"] == url
        assert call.params["secret_token"] == config.secret_token  # derived from the token
        assert call.params["allowed_updates"] == ["message", "edited_message", "callback_query"]
        assert host.get("/").json()["mode"] == "webhook"
        # Telegram would now send updates with that secret
        host.post(Updates().text("Hallo"))
        host.assistant.wait_for(1)
    finally:
        host.stop()


def test_credentials_yml_entry_loads_through_rasa(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, telegram_double: TelegramDouble
) -> None:
    # What `rasa run` does per credentials entry (rasa.core.run._create_single_channel); that
    # module itself is not imported because it loads TensorFlow (a minute on two cores).
    from rasa.shared.utils.common import class_from_module_path
    from rasa.shared.utils.io import read_config_file

    def create_http_input_channels(_: None, path: str) -> list[Any]:
        entries = read_config_file(path)
        return [class_from_module_path(name).from_credentials(c) for name, c in entries.items()]

    credentials = tmp_path / "credentials.yml"
    credentials.write_text(
        "connectors.telegram.TelegramInput:\n"
        "  access_token: ${TELEGRAM_TOKEN}\n"
        "  secret_token: ${TELEGRAM_SECRET_TOKEN}\n"
        "  webhook_url: ${TELEGRAM_WEBHOOK_URL}      # empty = don't call setWebhook (polling)\n"
        "  api_base_url: ${TELEGRAM_API_BASE_URL}    # empty = https://api.telegram.org/bot\n"
    )
    for name, value in telegram_double.environment(secret_token=SECRET).items():
        monkeypatch.setenv(name, value)
    [channel] = create_http_input_channels(None, str(credentials))
    assert isinstance(channel, TelegramInput)
    assert channel.name() == "telegram"
    assert channel.config.enabled and channel.config.mode == "polling"
    assert channel.config.secret_token == SECRET
    assert channel.config.api_base_url == telegram_double.api_base_url

    for name in telegram_double.environment():
        monkeypatch.setenv(name, "")  # the launcher's default: no Telegram
    [channel] = create_http_input_channels(None, str(credentials))
    assert not channel.config.enabled
    assert channel.config.api_base_url == "https://api.telegram.org/bot"


# -- no Telegram id reaches Rasa -------------------------------------------------------------


def test_rasa_never_sees_a_chat_id_or_a_user_id(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    private_chat, group_chat, member = 73_918_462_051, -1_009_182_736_455, 64_519_283_746
    group_message = telegram_updates.text(f"@{BOT_USERNAME} Parken am Zoo?", chat_id=group_chat,
                                          chat_type="supergroup")  # fmt: skip
    group_message["message"]["from"]["id"] = member
    button = telegram_updates.callback('/feedback{"rating":"positive"}', chat_id=private_chat)
    button["callback_query"]["from"]["id"] = member
    for update in (
        telegram_updates.text("Hallo", chat_id=private_chat),
        group_message,
        button,
        telegram_updates.location(51.43, 6.77, chat_id=private_chat),
    ):
        channel.post(update)
    channel.drain()
    messages = channel.assistant.messages
    assert len(messages) == 4
    assert [m.sender_id for m in messages] == [
        conversation(private_chat), conversation(group_chat),
        conversation(private_chat), conversation(private_chat),
    ]  # fmt: skip
    for message in messages:
        assert re.fullmatch(r"telegram-[0-9a-f]{32}", message.sender_id)
        assert set(message.metadata) == {"chat_type", "update_type"}
        seen_by_rasa = json.dumps(
            [message.text, message.sender_id, message.metadata, message.message_id]
        )
        for private in (private_chat, group_chat, member):
            assert str(private) not in seen_by_rasa
            assert str(abs(private)) not in seen_by_rasa
    # ... and the answers still reach the right chats
    chats = [call.params["chat_id"] for call in telegram_double.calls("sendMessage")]
    assert sorted(chats) == sorted([str(private_chat), str(group_chat)] + [str(private_chat)] * 2)


def test_answers_go_to_the_updates_chat_whatever_recipient_rasa_names(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    other_chat = 55_501_234

    async def misdirected(message: Any) -> list[dict[str, Any]]:
        # what a tampered tracker or a reused output channel could ask for
        for recipient in (str(other_chat), conversation(other_chat), "telegram-0"):
            await message.output_channel.send_text_message(recipient, "Antwort")
        return []

    channel.assistant.script = misdirected
    try:
        say(channel, telegram_updates.text("Hallo"))
    finally:
        channel.assistant.script = script
    calls = telegram_double.calls("sendMessage")
    assert [call.params["chat_id"] for call in calls] == [CHAT] * 3


def test_the_channels_own_output_only_reaches_conversations_it_has_seen(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    chat = 61_234_987
    say(channel, telegram_updates.text("Hallo", chat_id=chat))
    telegram_double.reset()
    output = channel.channel.get_output_channel()
    assert output is not None
    # Rasa's recipient is the conversation id; a raw chat id (or anything else) reaches nobody.
    for recipient in (conversation(chat), str(chat), str(Updates.PRIVATE_CHAT), "telegram-x"):
        channel.run(output.send_text_message(recipient, "Erinnerung"))
    assert [call.params["chat_id"] for call in telegram_double.calls("sendMessage")] == [str(chat)]


# -- guard: size and rate before the assistant -----------------------------------------------


def test_a_message_over_the_limit_never_reaches_the_assistant(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    at_limit = "Parken " * (LIMITS.max_chars // 7) + "x" * (LIMITS.max_chars % 7)
    assert len(at_limit) == LIMITS.max_chars
    assert say(channel, telegram_updates.text(at_limit + "?")) == []
    assert telegram_double.sent_texts() == [response_text(TOO_LONG)]
    # ... also in a group, after the mention is removed, and as a command's argument
    for typed, options in (
        (f"@{BOT_USERNAME} {at_limit}", {"chat_type": "supergroup"}),
        (f"/start {at_limit}", {}),
    ):
        assert say(channel, telegram_updates.text(typed, **options)) == []
    assert telegram_double.sent_texts() == [response_text(TOO_LONG)] * 3
    # exactly at the limit it goes through
    [message] = say(channel, telegram_updates.text(at_limit))
    assert message.text == at_limit.strip()


@pytest.fixture
def strict(telegram_double: TelegramDouble) -> Iterator[ChannelHost]:
    """A channel allowing 3 messages per conversation and minute."""
    config = TelegramConfig(
        token=telegram_double.token, secret_token=SECRET, api_base_url=telegram_double.api_base_url
    )
    limits = Limits(max_chars=50, per_conversation=(3, 60), per_address=(3, 60))
    channel = TelegramInput(config, guard=MessageGuard(limits), salt=SALT)
    host = ChannelHost(channel, ScriptedAssistant(script)).start()
    telegram_double.reset()
    yield host
    host.stop()


def test_rate_limit_per_chat_covers_texts_commands_buttons_and_media(
    strict: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    chat, neighbour = 31_415_926, 27_182_818
    flood = [
        telegram_updates.text("Hallo", chat_id=chat),
        telegram_updates.text("/datenschutz", chat_id=chat),
        telegram_updates.callback("/affirm", chat_id=chat),
        telegram_updates.callback("/deny", chat_id=chat),  # over the limit from here on
        telegram_updates.text("/loeschen", chat_id=chat),
        telegram_updates.sticker(chat_id=chat),
        telegram_updates.text("x" * 60, chat_id=chat),  # too long and over the rate
        telegram_updates.text("Hallo", chat_id=chat),
    ]
    for update in flood:
        assert strict.post(update).status_code == 200
    strict.drain()
    assert [m.text for m in strict.assistant.messages] == ["Hallo", "/privacy_notice", "/affirm"]
    texts = [c.params["text"] for c in telegram_double.calls("sendMessage")]
    # three answers and one "please wait" -- not one per refused message
    assert texts == ["Gern geholfen."] * 3 + [response_text(RATE_LIMITED)]
    # every pressed button's spinner still stops
    assert len(telegram_double.calls("answerCallbackQuery")) == 2

    # another chat is not affected
    message = say(strict, telegram_updates.text("Hallo", chat_id=neighbour))[-1]
    assert message.sender_id == conversation(neighbour)


def test_a_refused_button_press_is_answered_in_the_chat(
    strict: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    long_payload = '/transit_departures{"stop": "' + "Rathaus " * 10 + '"}'
    key = strict.channel.callbacks.encode(long_payload)
    assert say(strict, telegram_updates.callback(key)) == []
    [answered] = telegram_double.calls("answerCallbackQuery")
    assert answered.params.get("text") is None
    assert telegram_double.sent_texts() == [response_text(TOO_LONG)]


# -- group chats: nothing code-like comes back -----------------------------------------------


def echoed(text: str) -> str:
    return f"Sie schrieben: {text}\nNormalisiert: {text.upper().replace(' ', '-')}"


def echo_script(message: Any) -> list[dict[str, Any]]:
    """An assistant that repeats what it got, in the text, a button title and a payload, also
    re-spaced and upper-cased (as a form would normalise an application number)."""
    text = message.text
    first_code = re.search(r"[A-Z0-9]{6}", text)
    payload = f'/inform{{"c":"{first_code.group() if first_code else ""}"}}'
    return [{"text": echoed(text), "buttons": [{"title": text[:40], "payload": payload}]}]


CODE_MESSAGE = 'Vorgang du 2026 004711, Code K7M2Q9 <b>fett</b> /inform{"a":1}'


def test_in_groups_code_like_tokens_are_not_echoed(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    channel.assistant.script = echo_script
    try:
        say(channel, telegram_updates.text(f"@{BOT_USERNAME} {CODE_MESSAGE}", chat_type="group"))
    finally:
        channel.assistant.script = script
    [sent] = telegram_double.calls("sendMessage")
    [[button]] = sent.params["reply_markup"]["inline_keyboard"]
    visible = json.dumps([sent.params["text"], button], ensure_ascii=False).lower()
    for code in ("K7M2Q9", "004711", "<b>fett</b>", '{"a":1}', '{\\"a\\":1}'):
        assert code.lower() not in visible, code
    assert sent.params["text"].startswith("Sie schrieben: Vorgang du 2026 …, Code … ")
    assert "Normalisiert: VORGANG-DU-2026-…,-CODE-…-…-…" in sent.params["text"]
    assert button["text"] == "Vorgang du 2026 …, Code … <b>f"  # (the title is text[:40])
    # the payload with the code went behind a key; pressing the button still sends it whole
    assert button["callback_data"].startswith("~k:")
    pressed = say(channel, telegram_updates.callback(button["callback_data"], chat_type="group"))
    assert pressed[-1].text == '/inform{"c":"004711"}'


def test_in_private_chats_answers_are_unchanged(
    channel: ChannelHost, telegram_double: TelegramDouble, telegram_updates: Updates
) -> None:
    channel.assistant.script = echo_script
    try:
        say(channel, telegram_updates.text(CODE_MESSAGE))
    finally:
        channel.assistant.script = script
    [sent] = telegram_double.calls("sendMessage")
    assert sent.params["text"] == echoed(CODE_MESSAGE)
    [[button]] = sent.params["reply_markup"]["inline_keyboard"]
    assert button == {"text": CODE_MESSAGE[:40], "callback_data": '/inform{"c":"004711"}'}


# -- webhook: secret first, body bounded -----------------------------------------------------


def raw_request(channel: ChannelHost, head: str, body: bytes = b"", wait: float = 5.0) -> str:
    """Send a request by hand (so the body can be announced but not sent) and return the status
    line of the answer, or "" when none came within `wait` seconds."""
    import socket

    with socket.create_connection(("127.0.0.1", channel.port), timeout=wait) as sock:
        sock.sendall(head.encode() + b"\r\n" + body)
        try:
            answer = sock.recv(4096)
        except TimeoutError:
            return ""
    return answer.split(b"\r\n", 1)[0].decode()


def head(secret: str | None, length: int | None = None, chunked: bool = False) -> str:
    lines = [
        "POST /webhooks/telegram/webhook HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
    ]
    if secret is not None:
        lines.append(f"X-Telegram-Bot-Api-Secret-Token: {secret}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize("secret", [None, "", "wrong-secret"])
def test_without_the_secret_the_body_is_not_even_read(
    channel: ChannelHost, secret: str | None
) -> None:
    # 50 MB announced, 10 bytes sent: an answer now means the secret was checked first
    status = raw_request(channel, head(secret, length=50_000_000), b'{"update_i')
    assert status == "HTTP/1.1 403 Forbidden"
    assert channel.assistant.messages == []


def test_an_announced_body_over_the_bound_is_refused_before_reading(channel: ChannelHost) -> None:
    status = raw_request(channel, head(SECRET, length=MAX_BODY_BYTES + 1), b'{"update_i')
    assert status == "HTTP/1.1 413 Request Entity Too Large"


def test_a_chunked_body_over_the_bound_is_refused(channel: ChannelHost) -> None:
    # no length announced: the channel counts while reading and stops past the bound
    piece = b"x" * 16_384
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(piece), piece) for _ in range(MAX_BODY_BYTES // len(piece) + 1)
    )
    status = raw_request(channel, head(SECRET, chunked=True), chunks)
    assert status == "HTTP/1.1 413 Request Entity Too Large"
    channel.drain()
    assert channel.assistant.messages == []


def test_the_secret_is_compared_in_constant_time(
    channel: ChannelHost, telegram_updates: Updates, monkeypatch: pytest.MonkeyPatch
) -> None:
    import connectors.telegram as module

    compared: list[tuple[bytes, bytes]] = []
    real = module.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(module.hmac, "compare_digest", spy)
    assert channel.post(telegram_updates.text("Hallo"), secret="wrong").status_code == 403
    assert channel.post(telegram_updates.text("Hallo")).status_code == 200
    assert (b"wrong", SECRET.encode()) in compared
    assert (SECRET.encode(), SECRET.encode()) in compared
