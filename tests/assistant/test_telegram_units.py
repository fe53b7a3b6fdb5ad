"""The Telegram channel's pure parts: settings, message splitting, keyboards, update rules, retries."""

from __future__ import annotations

import asyncio
import random
import re
from typing import Any

import pytest
from telegram import Update
from telegram.error import RetryAfter, TimedOut

from connectors.telegram_api import TelegramApi, retry_after_seconds
from connectors.telegram_config import TelegramConfig, TelegramConfigError
from connectors.telegram_output import ChatRef, TelegramOutput
from connectors.telegram_render import (
    MASK,
    MAX_CALLBACK_BYTES,
    CallbackStore,
    EchoFilter,
    inline_keyboard,
    split_message,
    utf16_length,
)
from connectors.telegram_updates import (
    BotIdentity,
    Ignore,
    Reply,
    ToAssistant,
    interpret,
)
from tests.assistant.telegram_double import (
    BOT_ID,
    BOT_USERNAME,
    TelegramDouble,
    Updates,
)

# fixtures telegram_double, telegram_updates
pytest_plugins = ["tests.assistant.telegram_double"]

TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ_-0123456"
ME = BotIdentity(BOT_ID, BOT_USERNAME)


# -- settings ----------------------------------------------------------------------------------


def test_empty_settings_disable_the_channel() -> None:
    config = TelegramConfig.from_mapping(
        {"access_token": "", "webhook_url": "", "api_base_url": ""}
    )
    assert not config.enabled
    assert config.mode == "disabled"
    assert config.api_base_url == "https://api.telegram.org/bot"
    assert not TelegramConfig.from_mapping(None).enabled
    assert not TelegramConfig.from_mapping({"access_token": "${TELEGRAM_TOKEN}"}).enabled


def test_secret_is_derived_from_the_token_when_unset() -> None:
    first, again = TelegramConfig(token=TOKEN), TelegramConfig.from_env({"TELEGRAM_TOKEN": TOKEN})
    assert first.secret_token == again.secret_token  # Rasa and the polling runner agree
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,256}", first.secret_token)
    assert TOKEN not in first.secret_token
    other = TelegramConfig(token=TOKEN.replace("A", "B"))
    assert other.secret_token != first.secret_token


def test_token_and_secret_stay_out_of_repr() -> None:
    config = TelegramConfig(token=TOKEN, secret_token="very-secret")
    assert TOKEN not in repr(config)
    assert "very-secret" not in repr(config)


@pytest.mark.parametrize(
    "values",
    [
        {"access_token": "changeme"},
        {"access_token": "123456"},
        {"access_token": TOKEN, "secret_token": "has spaces"},
        {"access_token": TOKEN, "secret_token": "ü-umlaut"},
        {"access_token": TOKEN, "secret_token": "x" * 257},
        {"access_token": TOKEN, "webhook_url": "bot.example.org/hook"},
        {"access_token": TOKEN, "api_base_url": "ftp://api.example/bot"},
    ],
)
def test_unusable_settings_fail_fast(values: dict[str, str]) -> None:
    with pytest.raises(TelegramConfigError):
        TelegramConfig.from_mapping(values)


def test_file_url_follows_the_api_url() -> None:
    config = TelegramConfig(token=TOKEN, api_base_url="http://127.0.0.1:9/bot")
    assert config.file_base_url == "http://127.0.0.1:9/file/bot"
    assert TelegramConfig(token=TOKEN).file_base_url == "https://api.telegram.org/file/bot"


def test_chat_pseudonym_is_stable_and_keyed() -> None:
    config = TelegramConfig(token=TOKEN)
    assert config.pseudonym(424242) == config.pseudonym("424242")
    assert "424242" not in config.pseudonym(424242)
    assert TelegramConfig(token="1:" + "z" * 35).pseudonym(424242) != config.pseudonym(424242)


# -- message splitting -------------------------------------------------------------------------


def test_short_text_is_one_message() -> None:
    assert split_message("  Hallo!\n") == ["Hallo!"]
    assert split_message("   \n ") == []


def test_split_prefers_paragraphs_then_lines_then_words() -> None:
    paragraphs = "\n\n".join(["a" * 60, "b" * 60, "c" * 60])
    assert split_message(paragraphs, limit=130) == ["a" * 60 + "\n\n" + "b" * 60, "c" * 60]
    lines = "\n".join(["a" * 60, "b" * 60, "c" * 60])
    assert split_message(lines, limit=130) == ["a" * 60 + "\n" + "b" * 60, "c" * 60]
    words = " ".join(["wort"] * 40)
    chunks = split_message(words, limit=50)
    assert all(chunk.split() == ["wort"] * len(chunk.split()) for chunk in chunks)
    assert sum(len(chunk.split()) for chunk in chunks) == 40
    assert split_message("x" * 120, limit=50) == ["x" * 50, "x" * 50, "x" * 20]


def test_split_counts_utf16_units_like_telegram() -> None:
    emoji = "😀" * 3000  # 6,000 UTF-16 units, 3,000 characters
    chunks = split_message(emoji)
    assert [utf16_length(chunk) for chunk in chunks] == [4096, 1904]
    assert "".join(chunks) == emoji


@pytest.mark.parametrize("seed", range(40))
def test_split_never_exceeds_the_limit_nor_loses_text(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = ["a", "ß", " ", "\n", "\n\n", "😀", "wort ", "\t", "🇩🇪"]
    text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 3000)))
    limit = rng.choice([7, 64, 500, 4096])
    chunks = split_message(text, limit=limit)
    assert all(0 < utf16_length(chunk) <= limit for chunk in chunks)
    assert re.sub(r"\s", "", "".join(chunks)) == re.sub(r"\s", "", text)


# -- keyboards and callback data ---------------------------------------------------------------


def _layout(buttons: list[dict[str, Any]], store: CallbackStore | None = None) -> list[list[str]]:
    markup = inline_keyboard(buttons, store or CallbackStore())
    assert markup is not None
    return [[button.text for button in row] for row in markup.inline_keyboard]


def test_keyboard_pairs_short_buttons_only() -> None:
    long_1 = {"title": "Nächste Abfahrten am Hbf", "payload": "/a"}
    long_2 = {"title": "Freie Parkplätze am Hbf", "payload": "/b"}
    up, down = {"title": "👍", "payload": "/up"}, {"title": "👎", "payload": "/down"}
    assert _layout([long_1, long_2, up, down]) == [
        [long_1["title"]],
        [long_2["title"]],
        ["👍", "👎"],
    ]
    assert _layout([up, long_1, down]) == [["👍"], [long_1["title"]], ["👎"]]
    assert _layout([{"title": "Ja", "payload": "/affirm"}] * 3) == [["Ja", "Ja"], ["Ja"]]
    assert inline_keyboard([], CallbackStore()) is None


def test_url_buttons_open_links() -> None:
    markup = inline_keyboard(
        [{"title": "Serviceportal", "payload": "https://service.duisburg.de/"}], CallbackStore()
    )
    assert markup is not None
    [[button]] = markup.inline_keyboard
    assert button.url == "https://service.duisburg.de/"
    assert button.callback_data is None


def test_callback_store_keeps_short_payloads_and_keys_long_ones() -> None:
    store = CallbackStore(maxsize=2)
    short = '/feedback{"rating":"positive"}'
    assert store.encode(short) == short
    assert store.decode(short) == short
    long = '/transit_departures{"stop": "König-Heinrich-Platz", "line": "U79", "x": "ü"}'
    assert len(long.encode()) > MAX_CALLBACK_BYTES
    key = store.encode(long)
    assert len(key.encode()) <= MAX_CALLBACK_BYTES
    assert store.encode(long) == key  # stable
    assert store.decode(key) == long
    # a payload that looks like a key is stored too, so keys are never ambiguous
    tricky = "~k:abc"
    assert store.decode(store.encode(tricky)) == tricky
    store.encode(long + "2")
    store.encode(long + "3")  # capacity 2: the oldest key is forgotten
    assert store.decode(key) is None


# -- update rules ------------------------------------------------------------------------------


def _decide(update: dict[str, Any], store: CallbackStore | None = None) -> Any:
    return interpret(Update.de_json(update, None), ME, (store or CallbackStore()).decode)


def test_mention_is_removed_case_insensitively_even_in_private_chats() -> None:
    updates = Updates()
    decision = _decide(updates.text(f"Hallo @{BOT_USERNAME.upper()}, wann fährt die U79?"))
    assert isinstance(decision, ToAssistant)
    assert decision.text == "Hallo wann fährt die U79?"
    decision = _decide(updates.text(f"@{BOT_USERNAME}", chat_type="group"))
    assert isinstance(decision, ToAssistant) and decision.text == "/greet"


def test_mentions_of_others_do_not_address_the_bot() -> None:
    decision = _decide(Updates().text(f"@{BOT_USERNAME}x weißt du das?", chat_type="supergroup"))
    assert isinstance(decision, Ignore)


def test_messages_from_bots_are_ignored() -> None:
    update = Updates().text("Ich bin ein anderer Bot")
    update["message"]["from"]["is_bot"] = True
    assert isinstance(_decide(update), Ignore)


def test_photo_gets_the_hint_in_private_chats() -> None:
    photo = [{"file_id": "a", "file_unique_id": "b", "width": 90, "height": 90}]
    decision = _decide(Updates().message(photo=photo, caption="Was ist das?"))
    assert isinstance(decision, Reply)


def test_privacy_commands_become_their_intents() -> None:
    updates = Updates()
    for typed, payload in (
        ("/datenschutz", "/privacy_notice"),
        ("/DATENSCHUTZ", "/privacy_notice"),
        ("/loeschen", "/delete_my_data"),
        ("/löschen", "/delete_my_data"),
        ("/Löschen bitte", "/delete_my_data"),
        (f"/löschen@{BOT_USERNAME}", "/delete_my_data"),
    ):
        decision = _decide(updates.text(typed))
        assert isinstance(decision, ToAssistant), typed
        assert (decision.text, decision.typed) == (payload, typed)
    # another bot's command and a word that only starts like one are not ours
    assert isinstance(_decide(updates.text("/loeschen@other_bot", chat_type="group")), Ignore)
    decision = _decide(updates.text("/löschenswert"))
    assert isinstance(decision, ToAssistant) and decision.text == "/löschenswert"


def test_the_typed_text_is_kept_for_the_size_limit() -> None:
    decision = _decide(Updates().text(f"@{BOT_USERNAME}   Wann fährt die 903?", chat_type="group"))
    assert isinstance(decision, ToAssistant)
    assert decision.text == "Wann fährt die 903?"
    assert decision.typed == f"@{BOT_USERNAME}   Wann fährt die 903?"
    button = _decide(Updates().callback("/affirm"))
    assert isinstance(button, ToAssistant) and button.typed is None


def test_topic_messages_are_answered_in_their_topic() -> None:
    update = Updates().text("/hilfe", chat_type="supergroup")
    update["message"].update(is_topic_message=True, message_thread_id=77)
    decision = _decide(update)
    assert isinstance(decision, ToAssistant)
    assert decision.thread_id == 77


# -- what a group chat must not see again ------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "answer", "shown"),
    [
        ("Code K7M2Q9", "Ihr Code K7M2Q9 ist ungültig.", f"Ihr Code {MASK} ist ungültig."),
        ("code k7m2q9", "Code: K7M2Q9.", f"Code: {MASK}."),
        ("du 2026 004711", "Vorgang DU-2026-004711", f"Vorgang DU-2026-{MASK}"),
        ("DU-2026-004711", "Vorgang DU 2026 004711!", f"Vorgang {MASK}!"),
        ("Tel 0203123456", "Rufen Sie 0203 123456 an", f"Rufen Sie {MASK} an"),
        ("<script>x</script>", "Sie: <script>x</script>", f"Sie: {MASK}"),
        ('/inform{"code": "AB12CD"}', "AB12CD", MASK),
    ],
)
def test_code_like_tokens_are_masked(said: str, answer: str, shown: str) -> None:
    echo = EchoFilter(said)
    assert echo and echo.touches(answer)
    assert echo.clean(answer) == shown


@pytest.mark.parametrize(
    "said",
    [
        "Wann fährt die U79 ab Hbf?",
        "Linie 903 um 08:15 am 23.11.2026",
        "Parken in 47051 Duisburg, Königstraße 12a",
        "Wie ist der Stand meines Antrags?",
        "",
    ],
)
def test_ordinary_words_and_numbers_are_not_code_like(said: str) -> None:
    echo = EchoFilter(said, None)
    assert not echo
    assert echo.clean(said) == said


def test_buttons_carrying_a_code_hide_it_behind_a_key() -> None:
    store = CallbackStore()
    echo = EchoFilter("mein Code ist K7M2Q9")
    buttons = [
        {"title": "Code K7M2Q9 prüfen", "payload": '/inform{"access_code":"K7M2Q9"}'},
        {"title": "👍", "payload": '/feedback{"rating":"positive"}'},
    ]
    markup = inline_keyboard(buttons, store, echo)
    assert markup is not None
    first, second = [button for row in markup.inline_keyboard for button in row]
    assert first.text == f"Code {MASK} prüfen"
    assert first.callback_data.startswith("~k:") and "K7M2Q9" not in first.callback_data
    assert store.decode(first.callback_data) == buttons[0]["payload"]
    assert second.callback_data == buttons[1]["payload"]


# -- the output channel sends to its chat only -------------------------------------------------


async def test_output_sends_to_its_own_chat_or_a_known_conversation(
    telegram_double: TelegramDouble,
) -> None:
    telegram_double.reset()
    config = TelegramConfig(token=telegram_double.token, api_base_url=telegram_double.api_base_url)
    api = TelegramApi(config)
    try:
        bound = TelegramOutput(api, CallbackStore(), ChatRef(424242))
        await bound.send_text_message("777", "an 424242")  # the recipient id is not a chat id
        known = {"telegram-abc": ChatRef(-100555, "supergroup", thread_id=9)}
        mapped = TelegramOutput(api, CallbackStore(), chats=known)
        await mapped.send_text_message("telegram-abc", "an die Gruppe")
        await mapped.send_text_message("-100555", "an niemanden")
        await mapped.send_image_url("424242", "https://example.org/a.png")
        await TelegramOutput(api, CallbackStore()).send_text_message("424242", "an niemanden")
    finally:
        await api.close()
    sent = [(c.params["chat_id"], c.params["text"]) for c in telegram_double.calls("sendMessage")]
    assert sent == [("424242", "an 424242"), ("-100555", "an die Gruppe")]
    assert telegram_double.calls("sendMessage")[1].params["message_thread_id"] == "9"
    assert telegram_double.calls("sendPhoto") == []


# -- retries (real HTTP against the double) ----------------------------------------------------


def test_retry_after_seconds_reads_both_forms() -> None:
    assert retry_after_seconds(RetryAfter(3)) == 3.0


async def test_possibly_delivered_send_is_not_repeated(telegram_double: TelegramDouble) -> None:
    telegram_double.reset()
    config = TelegramConfig(token=telegram_double.token, api_base_url=telegram_double.api_base_url)
    api = TelegramApi(config, read_timeout=0.3, backoff=0.01)
    try:
        telegram_double.fail_next("sendMessage", delay=0.8)
        with pytest.raises(TimedOut):
            await api.call("send_message", idempotent=False, chat_id=1, text="Hallo")
        telegram_double.fail_next("getMe", delay=0.8)
        user = await api.me()  # idempotent: a timed-out getMe is simply asked again
        assert user.username == BOT_USERNAME
    finally:
        await api.close()
    await asyncio.sleep(1.0)  # let the double finish the slow answers it is still holding
    assert len(telegram_double.calls("sendMessage")) == 1
    assert len(telegram_double.calls("getMe")) == 2
