"""A seeded driver for the crash test: many liaisons act while the bot is killed and restarted.

Each simulated person has four independent lines of work (resources): the report (documents),
the answers (confirm, comment, attend, absent, names of attendees), the open poll (group
buttons) and the secret ballot (private chat). Within one line a person waits until the bot
answered the previous action, or until the process that took it died (the update was confirmed
to the server, so it is never delivered again), before acting again: the order of one unit's
actions is then known, and the final state can be replayed from the actions the bot committed.

Kills come at seeded moments: after a random while, before the restarted bot even polls, or
just after it took the batch that queued up while it was down (people wait for their answers
then). At most kills the server also loses the confirmation of the dead bot's last batch, which
is delivered again to the next process (`redeliver`), as Telegram does when the poll carrying
the new offset never reached it. Updates the dead bot had confirmed are lost unless committed.

Answers in the private chat do not quote the person's message (PTB quotes only in groups), so a
person sends the next private document or text only once the bot answered the previous one or
can no longer answer it; group receipts are matched by the message they reply to, button
presses by their callback query id.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.e2e.test_real_process import GROUP, _start_bot

if TYPE_CHECKING:
    import random
    from pathlib import Path

    from bot.local_api import LocalBotAPI, SentMessage

APOLOGY = "Xin lỗi anh/chị, đã có lỗi"
ATTENDEES_QUESTION = "Thành phần tham dự “"
COMMENT_DONE = "Đã ghi nhận góp ý"
NAMES_DONE = "Đã ghi nhận thành phần tham dự"
RECEIPTS = ("✅ Đã nhận báo cáo", "ℹ️ Tệp này trùng")
BALLOT = "🗳 Phiếu bầu"
BALLOT_REFUSALS = ("Đơn vị của anh/chị đã gửi phiếu kín", "đã kết thúc bỏ phiếu")
BALLOT_RECEIVED = "Bot đã nhận phiếu bầu"
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
# Actions whose effect is committed with their update id (unit_of_work): a redelivered one
# is dropped, and `handled_updates` says whether it took effect.
MUTATING = frozenset({"submit", "confirm", "comment", "attend", "absent", "names", "vote", "cast"})
TEXTS = frozenset({"comment", "names"})  # private texts answering the bot's question
RESOURCES = ("report", "answer", "open", "secret")
WEIGHTS = {"report": 3.0, "answer": 4.0, "open": 2.0, "secret": 1.5}
MAX_IN_FLIGHT = 24
ISSUE_GAP = 0.02  # seconds between two actions, over all people
MIN_UPTIME = 1.5  # the first bot works at least this long before the first kill
REDELIVER_CHANCE = 0.8  # a kill also loses the confirmation of the last batch
GRACE = 2.0  # committed but unanswered this long: the answer is not coming
TEXT_GIVE_UP = 5.0  # a redelivered answer the bot ignored (its question is gone)
TIMEOUT = 25.0  # an action the bot never answers (nor lost to a kill) is given up
_DRAFT_RE = re.compile(r"^(pb1|pc1|ps1):\d+:([0-9a-z]+|-)")


@dataclass(frozen=True)
class Liaison:
    """One unit and its only liaison (who is also its voter)."""

    user_id: int
    first_name: str
    code: str
    unit_name: str
    index: int  # the unit's position: its candidate index in the polls


@dataclass(frozen=True)
class Scene:
    """What the set-up created: ids the people press and reply to."""

    lead: str
    report_id: int
    report_message: int
    confirmation_id: int
    confirmation_message: int
    meeting_id: int
    meeting_message: int
    open_poll: int
    open_poll_message: int
    secret_poll: int


@dataclass
class Action:
    """One update a simulated person sent, and what became of it."""

    seq: int
    user_id: int
    code: str
    resource: str
    kind: str
    update_id: int
    chat_id: int
    sent_at: float
    generation: int
    message_id: int | None = None  # the person's own message (document or text)
    query_id: str | None = None  # a button press
    target: int | None = None  # the bot's message that was pressed
    data: dict[str, Any] = field(default_factory=dict)
    ack: str | None = None  # the text of the bot's acknowledgement
    ack_kind: str | None = None  # ok | refused | error
    ack_at: float | None = None
    needs_followup: bool = False  # the question (attend) or the edit (ballot) after the answer
    followup_seen: bool = False
    # ok | refused | error (answered so) | interrupted (taken by a process that died) |
    # silent (committed, its redelivery dropped) | ignored (a text whose question was gone) |
    # timeout (never answered: a bug)
    outcome: str = "pending"
    consumed_at: float | None = None
    handled_seen_at: float | None = None  # first seen committed, still unanswered
    redelivered: int = 0  # times the driver had the server deliver it again

    @property
    def private_message(self) -> bool:
        """A document or text in the private chat: PTB's answer there does not quote it."""
        return self.message_id is not None and self.chat_id == self.user_id

    @property
    def acknowledged(self) -> bool:
        """The bot answered this action as done (a receipt, an answer, the ballot message)."""
        return self.ack_kind == "ok"


@dataclass
class Person:
    """What one liaison knows and intends."""

    liaison: Liaison
    await_comment: bool = False  # the bot asked for the comment: the next answer is its text
    may_name: bool = False  # the bot asked who attends
    last_ok_file: tuple[str, bytes] | None = None
    ballot_message: int | None = None
    secret_done: bool = False
    secret_choice: tuple[int, ...] = ()
    secret_start: int = 0  # start the secret ballot after this many actions overall
    files_sent: int = 0


class CrashDriver:
    """Sends the actions, kills and restarts the bot, and records every acknowledgement."""

    def __init__(
        self,
        api: LocalBotAPI,
        scene: Scene,
        liaisons: list[Liaison],
        *,
        rng: random.Random,
        data_dir: Path,
        log_path: Path,
        env: dict[str, str],
        process: asyncio.subprocess.Process,
        total: int,
        kills: int,
    ) -> None:
        """Prepare the people; `process` is the running bot."""
        self.api = api
        self.scene = scene
        self.rng = rng
        self.data_dir = data_dir
        self.log_path = log_path
        self.env = env
        self.process = process
        self.total = total
        self.people = {li.user_id: Person(li) for li in liaisons}
        self.actions: list[Action] = []
        self.busy: dict[tuple[int, str], Action] = {}
        self.generation = 0
        self.kill_times: list[float] = []
        self.kill_log: list[str] = []  # per kill: how it came, how many updates come again
        self.timeouts: list[Action] = []
        self.unmatched: list[str] = []  # private messages no action explains
        self.seen_at: list[float] = []  # when each event of api.history was seen
        margin = max(total // 12, 1)
        self.kill_points = sorted(rng.sample(range(margin, total - margin), kills))
        for person in self.people.values():
            person.secret_start = rng.randrange(0, int(total * 0.6))
            others = [li.index for li in liaisons if li.user_id != person.liaison.user_id]
            person.secret_choice = () if rng.random() < 0.15 else (rng.choice(others),)
        self._by_reply: dict[tuple[int, int], Action] = {}
        self._by_edit: dict[tuple[int, int], Action] = {}
        self._unanswered: dict[str, Action] = {}
        # Per person, the private document or text the bot may still answer: the next one
        # waits, so an answer in the private chat (never a quoted reply) names its action.
        self._private_open: dict[int, Action] = {}
        self._history_pos = 0
        self._peek: sqlite3.Connection | None = None
        self._up = True
        self._polling_since: float | None = None
        self._first_batch_at: float | None = None
        self._calls_at_start = 0
        self._min_uptime = MIN_UPTIME
        self._early_kill = self._catch_up_kill = False
        self._kill_due: float | None = None
        self._restart_at = 0.0
        self._last_issue = 0.0
        self._next_peek = 0.0

    # -- the run --------------------------------------------------------------------

    async def run(self) -> asyncio.subprocess.Process:
        """Send `total` actions with kills in between; return the running bot at the end."""
        loop = asyncio.get_running_loop()
        try:
            while len(self.actions) < self.total or self.busy:
                now = loop.time()
                self._observe(now)
                await self._kill_or_restart(now)
                if len(self.actions) < self.total:
                    self._issue(loop.time())
                await asyncio.sleep(0.005)
            if not self._up:
                await self._restart()
        finally:
            if self._peek is not None:
                self._peek.close()
        return self.process

    def observe(self) -> None:
        """Record acknowledgements that came after an action was settled (e.g. at the end)."""
        self._observe(asyncio.get_running_loop().time())

    async def _kill_or_restart(self, now: float) -> None:
        if not self._up:
            if now >= self._restart_at:
                await self._restart()
            return
        if self.process.returncode is not None:
            tail = self.log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
            msg = f"the bot exited by itself ({self.process.returncode}):\n{tail}"
            raise AssertionError(msg)
        if self._catch_up_kill and (
            not self.kill_points or now - (self._polling_since or now) > 5.0
        ):
            self._catch_up_kill = False  # nothing came to take: back to the usual kills
        if self._polling_since is None and self.api.is_polling:
            self._polling_since = now
        if self._catch_up_kill and self._first_batch_at is None and self._fetched_since_start():
            self._first_batch_at = now
        if self._kill_due is None and self.kill_points:
            due = len(self.actions) >= self.kill_points[0]
            if self._catch_up_kill:
                # Killed again while working through what queued up during the outage
                # (a crash loop): that batch, partly handled, comes again.
                if self._first_batch_at is not None:
                    self._kill_due = self._first_batch_at + self.rng.uniform(0.01, 0.15)
            elif due and (
                self._early_kill or now - (self._polling_since or now) >= self._min_uptime
            ):
                self._kill_due = now + self.rng.uniform(0.0, 0.6)
        if self._kill_due is not None and now >= self._kill_due:
            self.kill_points.pop(0)
            self._kill_due = None
            await self._kill()

    def _fetched_since_start(self) -> bool:
        calls = self.api.calls
        return any(
            c.method == "getUpdates" and c.ok and c.result for c in calls[self._calls_at_start :]
        )

    async def _kill(self) -> None:
        loop = asyncio.get_running_loop()
        self.process.kill()  # SIGKILL: no flush, no clean-up, mid-transaction or mid-send
        await self.process.wait()
        self.kill_times.append(loop.time())
        # Let the server read whatever the dead process had already written to its sockets.
        await asyncio.sleep(0.2)
        now = loop.time()
        self._observe(now)
        self._up = False
        self.generation += 1
        self._restart_at = now + self.rng.uniform(0.2, 1.2)
        again = 0
        if self.rng.random() < REDELIVER_CHANCE:
            # The poll that confirmed the dead bot's last batch never reached "Telegram":
            # that batch (handled, half-handled or not started) comes again.
            by_update = {a.update_id: a for a in self.actions[-200:]}
            for update_id in self._last_batch():
                if self.api.is_consumed(update_id):
                    self.api.redeliver(update_id)
                    again += 1
                    if update_id in by_update:
                        by_update[update_id].redelivered += 1
        mode = "catch-up" if self._catch_up_kill else "start-up" if self._early_kill else "steady"
        self.kill_log.append(f"{mode}:{again}")
        for user_id, action in list(self._private_open.items()):
            if action.ack is not None or self.api.is_consumed(action.update_id):
                del self._private_open[user_id]  # answered, or never to be answered
            else:
                action.consumed_at = action.handled_seen_at = None  # comes again
        for action in list(self.busy.values()):
            if action.ack_kind is not None:
                # Answered, but the follow-up (question, edit) died with the process.
                self._settle(action, action.ack_kind)
            elif self.api.is_consumed(action.update_id):
                # Confirmed to the server, so never delivered again: lost or committed unseen.
                self._settle(action, "interrupted")
            else:
                action.consumed_at = action.handled_seen_at = None  # comes again

    def _last_batch(self) -> list[int]:
        """The updates of the dead process's last non-empty getUpdates answer."""
        for call in reversed(self.api.calls[self._calls_at_start :]):
            if call.method == "getUpdates" and call.ok and call.result:
                return [int(u["update_id"]) for u in call.result]
        return []

    async def _restart(self) -> None:
        self._calls_at_start = len(self.api.calls)
        self.process = await _start_bot(self.api, self.data_dir, self.log_path, self.env)
        self._up = True
        self._polling_since = self._first_batch_at = None
        # How the next kill comes: soon after the bot took what queued up while it was
        # down, before it even polls, or after a random while.
        mode = self.rng.random()
        self._catch_up_kill = (
            mode < 0.35
            and not self._catch_up_kill
            and bool(self.kill_points)
            and bool(self.api.pending_updates)
        )
        self._early_kill = 0.35 <= mode < 0.45
        self._min_uptime = self.rng.uniform(0.1, 2.5)

    # -- watching the bot -------------------------------------------------------------

    def _observe(self, now: float) -> None:
        history = self.api.history
        while self._history_pos < len(history):
            event = history[self._history_pos]
            self._history_pos += 1
            self.seen_at.append(now)
            self._see_event(event)
        answers = self.api.callback_answers
        for query_id in [q for q in self._unanswered if q in answers]:
            action = self._unanswered.pop(query_id)
            params = answers[query_id]
            text = str(params.get("text") or "")
            kind = "ok"
            if params.get("show_alert"):
                kind = "error" if text.startswith(APOLOGY) else "refused"
            self._acknowledge(action, text, kind)
        pending = {u["update_id"] for u in self.api.pending_updates}
        for action in list(self.busy.values()):
            if action.ack_kind is not None and (
                not action.needs_followup or action.followup_seen or action.ack_kind != "ok"
            ):
                self._settle(action, action.ack_kind)
                continue
            if action.consumed_at is None and action.update_id not in pending:
                action.consumed_at = now
            if now - action.sent_at > TIMEOUT:
                self.timeouts.append(action)
                self._settle(action, "timeout")
        for action in self._private_open.values():
            if action.consumed_at is None and action.update_id not in pending:
                action.consumed_at = now
        if now >= self._next_peek:
            self._next_peek = now + 0.2
            self._settle_dropped_replays(now)

    def _see_event(self, event: SentMessage) -> None:
        text = event.plain or ""
        if event.event == "edited":
            action = self._by_edit.get((event.chat_id, event.message_id))
            if action is not None:
                action.followup_seen = True
            return
        if event.reply_to is not None:
            action = self._by_reply.get((event.chat_id, event.reply_to))
            if action is not None:
                if action.ack is None:
                    self._acknowledge(action, text, _reply_kind(action, text))
                return
        if event.chat_id > 0:
            self._see_private(event.chat_id, text)

    def _see_private(self, user_id: int, text: str) -> None:
        """PTB does not quote in private chats: tell what a private message answers."""
        if text.startswith(ATTENDEES_QUESTION):
            busy = self.busy.get((user_id, "answer"))
            if busy is not None and busy.kind == "attend":
                busy.followup_seen = True
            return
        kinds: tuple[str, ...]
        if text.startswith(RECEIPTS):
            kinds, kind = ("submit",), "ok"
        elif text.startswith(COMMENT_DONE):
            kinds, kind = ("comment", "names"), "ok"
        elif text.startswith(NAMES_DONE):
            kinds, kind = ("names", "comment"), "ok"
        elif text.startswith(BALLOT):
            kinds, kind = ("ballot_start",), "ok"
        elif any(r in text for r in BALLOT_REFUSALS):
            kinds, kind = ("ballot_start",), "refused"
        elif text.startswith(APOLOGY):
            kinds, kind = ("submit", "comment", "names", "ballot_start"), "error"
        else:
            return  # a question, a reminder, a notice: not an answer to a message
        action = self._private_open.get(user_id)
        if action is None or action.kind not in kinds or action.ack is not None:
            self.unmatched.append(text[:80])
            return
        self._acknowledge(action, text, kind)

    def _acknowledge(self, action: Action, text: str, kind: str) -> None:
        action.ack = text
        action.ack_kind = kind
        action.ack_at = asyncio.get_running_loop().time()
        if self._private_open.get(action.user_id) is action:
            del self._private_open[action.user_id]

    def _settle(self, action: Action, outcome: str) -> None:
        action.outcome = outcome
        self.busy.pop((action.user_id, action.resource), None)
        person = self.people[action.user_id]
        ok = outcome == "ok"
        if action.kind == "comment_ask":
            person.await_comment = ok
        elif action.kind == "attend":
            person.may_name = ok and action.followup_seen
        if action.kind == "submit" and ok and action.ack and action.ack.startswith(RECEIPTS[0]):
            person.last_ok_file = (action.data["file_name"], action.data["content"])
        if action.kind == "ballot_start" and ok:
            person.ballot_message = self._latest_ballot(action.user_id)
        if action.resource == "secret" and action.ack_kind == "refused":
            # Already voted (an earlier cast went through unseen) or the poll closed.
            person.secret_done = True
        if action.kind == "cast" and ok:
            person.secret_done = True

    def _latest_ballot(self, user_id: int) -> int | None:
        for message in reversed(self.api.sent(user_id)):
            if (message.plain or "").startswith(BALLOT):
                return message.message_id
        return None

    def _settle_dropped_replays(self, now: float) -> None:
        """Give up on updates the bot will never answer, without waiting for a kill.

        A redelivered update that was already committed is dropped without an answer: the
        person would look at the group and see it done; the driver looks at the database
        (read-only) instead. A redelivered text whose question the dead bot had already
        taken off (the dialogue ended before the answer was committed) is ignored. Both are
        given a grace period, so an answer still on its way is not taken for another's.
        """
        waiting = {
            id(a): a
            for a in [
                *(
                    a
                    for a in self.busy.values()
                    if a.kind in MUTATING
                    and a.ack is None
                    and self.api.delivery_count(a.update_id) > 1
                ),
                *self._private_open.values(),
            ]
            if a.ack is None and a.consumed_at is not None
        }
        if not waiting:
            return
        if self._peek is None:
            path = self.data_dir / "bot.sqlite3"
            self._peek = sqlite3.connect(
                f"file:{path}?mode=ro", uri=True, isolation_level=None, timeout=2
            )
        for action in waiting.values():
            row = self._peek.execute(
                "SELECT 1 FROM handled_updates WHERE update_id = ?", (action.update_id,)
            ).fetchone()
            if row is not None and action.handled_seen_at is None:
                action.handled_seen_at = now
            handled_long = row is not None and now - (action.handled_seen_at or now) > GRACE
            ignored = (
                row is None
                and action.kind in TEXTS
                and self.api.delivery_count(action.update_id) > 1
                and now - (action.consumed_at or now) > TEXT_GIVE_UP
            )
            if handled_long or ignored:
                if self._private_open.get(action.user_id) is action:
                    del self._private_open[action.user_id]
                if self.busy.get((action.user_id, action.resource)) is action:
                    self._settle(action, "silent" if handled_long else "ignored")

    # -- acting -------------------------------------------------------------------------

    def _issue(self, now: float) -> None:
        if now - self._last_issue < ISSUE_GAP or len(self.busy) >= MAX_IN_FLIGHT:
            return
        if self._up and self._catch_up_kill:
            return  # everyone waits for the answers to what they sent during the outage
        count = len(self.actions)
        free: dict[str, list[Person]] = {r: [] for r in RESOURCES}
        for person in self.people.values():
            for resource in RESOURCES:
                if (person.liaison.user_id, resource) in self.busy:
                    continue
                if resource == "report" and person.liaison.code == self.scene.lead:
                    continue  # the lead unit collects the reports: one unit always owes
                if resource == "secret" and (person.secret_done or count < person.secret_start):
                    continue
                free[resource].append(person)
        resources = [r for r in RESOURCES if free[r]]
        if not resources:
            return
        resource = self.rng.choices(resources, [WEIGHTS[r] for r in resources])[0]
        person = self.rng.choice(free[resource])
        self._last_issue = now
        {
            "report": self._report,
            "answer": self._answer,
            "open": self._open_vote,
            "secret": self._secret,
        }[resource](person, now)

    def _record(
        self,
        person: Person,
        resource: str,
        kind: str,
        update: dict[str, Any],
        now: float,
        **extra: Any,
    ) -> Action:
        liaison = person.liaison
        message = update.get("message") or {}
        query = update.get("callback_query") or {}
        chat = (query.get("message") or message)["chat"]
        action = Action(
            seq=len(self.actions),
            user_id=liaison.user_id,
            code=liaison.code,
            resource=resource,
            kind=kind,
            update_id=int(update["update_id"]),
            chat_id=int(chat["id"]),
            sent_at=now,
            generation=self.generation,
            message_id=message.get("message_id"),
            query_id=query.get("id"),
            **extra,
        )
        self.actions.append(action)
        self.busy[(liaison.user_id, resource)] = action
        if action.message_id is not None:
            self._by_reply[(action.chat_id, action.message_id)] = action
        if action.query_id is not None:
            self._unanswered[action.query_id] = action
        if action.private_message:
            self._private_open[action.user_id] = action
        return action

    def _report(self, person: Person, now: float) -> None:
        liaison = person.liaison
        person.files_sent += 1
        if person.last_ok_file is not None and self.rng.random() < 0.08:
            # The same file again: the bot says it already has it (no new version).
            name, content = person.last_ok_file
        else:
            extension = self.rng.choice(("pdf", "docx", "xlsx"))
            name = f"BC {liaison.code} lan {person.files_sent}.{extension}"
            head = f"{liaison.code} #{person.files_sent} {self.rng.getrandbits(64):016x}\n"
            content = head.encode() + self.rng.randbytes(self.rng.randint(64, 4096))
        private = self.rng.random() < 0.3 and liaison.user_id not in self._private_open
        chat = liaison.user_id if private else GROUP
        reply_to = None if private else self.scene.report_message
        update = self.api.send_document(liaison.user_id, chat, name, content, reply_to=reply_to)
        document = update["message"]["document"]
        self._record(
            person,
            "report",
            "submit",
            update,
            now,
            data={
                "file_name": name,
                "content": content,
                "sha256": hashlib.sha256(content).hexdigest(),
                "file_unique_id": document["file_unique_id"],
                "private": private,
            },
        )

    def _answer(self, person: Person, now: float) -> None:
        liaison = person.liaison
        uid = liaison.user_id
        n = len(self.actions)
        if uid in self._private_open and (person.await_comment or person.may_name):
            return  # the text waits until the bot answered the last private message
        if person.await_comment:
            person.await_comment = False
            text = f"Góp ý của {liaison.code} (lần {n}): đề nghị bổ sung số liệu quý IV"
            update = self.api.send_text(uid, uid, text)
            self._record(person, "answer", "comment", update, now, data={"text": text})
            return
        if person.may_name and self.rng.random() < 0.6:
            person.may_name = False
            text = f"Ông Nguyễn Văn {DIGITS[n % 36].upper()} – Phó Giám đốc {liaison.code} ({n})"
            update = self.api.send_text(uid, uid, text)
            self._record(person, "answer", "names", update, now, data={"text": text})
            return
        person.may_name = False
        kind = self.rng.choices(
            ("confirm", "comment_ask", "attend", "absent"), (2.5, 1.5, 3.0, 3.0)
        )[0]
        if kind in ("confirm", "comment_ask"):
            message = self.scene.confirmation_message
            rid = self.scene.confirmation_id
            payload = f"cf1:{'c' if kind == 'confirm' else 'g'}:{rid}"
        else:
            message = self.scene.meeting_message
            payload = f"mt1:{'a' if kind == 'attend' else 'x'}:{self.scene.meeting_id}"
        update = self.api.press(uid, GROUP, message, payload)
        self._record(
            person, "answer", kind, update, now, target=message, needs_followup=kind == "attend"
        )

    def _open_vote(self, person: Person, now: float) -> None:
        uid = person.liaison.user_id
        choice = "-" if self.rng.random() < 0.1 else DIGITS[self.rng.randrange(len(self.people))]
        payload = f"po1:{self.scene.open_poll}:{choice}"
        update = self.api.press(uid, GROUP, self.scene.open_poll_message, payload)
        self._record(
            person,
            "open",
            "vote",
            update,
            now,
            target=self.scene.open_poll_message,
            data={"choice": None if choice == "-" else DIGITS.index(choice)},
        )

    def _secret(self, person: Person, now: float) -> None:
        """One step of casting the secret ballot, read off the ballot message as it stands."""
        uid = person.liaison.user_id
        poll = self.scene.secret_poll
        current = (
            self.api.message(uid, person.ballot_message)
            if person.ballot_message is not None
            else None
        )
        if current is not None and BALLOT_RECEIVED in str(current.get("text")):
            person.secret_done = True
            return
        buttons = [
            str(b["callback_data"])
            for row in ((current or {}).get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row
            if "callback_data" in b
        ]
        drafts = {m.group(1): m.group(2) for m in map(_DRAFT_RE.match, buttons) if m}
        if current is None or not drafts:
            if uid in self._private_open:
                return
            update = self.api.send_text(uid, uid, f"/start poll_{poll}")
            self._record(person, "secret", "ballot_start", update, now)
            return
        wanted = "".join(DIGITS[m] for m in person.secret_choice) or "-"
        if "ps1" in drafts:  # the review screen
            draft = drafts["ps1"]
            if draft == wanted:
                press, kind = f"ps1:{poll}:{draft}", "cast"
            else:
                press, kind = f"pb1:{poll}:{draft}:x", "ballot_mark"  # "Change"
        else:
            draft = drafts["pc1"]
            if draft == wanted:
                press, kind = f"pc1:{poll}:{draft}", "ballot_review"
            else:
                marked = set(draft.strip("-"))
                # Mark the intended candidate, or unmark the wrong one.
                index = wanted if wanted != "-" and wanted not in marked else min(marked)
                press, kind = f"pb1:{poll}:{draft}:{index}", "ballot_mark"
        message = person.ballot_message or 0
        update = self.api.press(uid, uid, message, press)
        action = self._record(
            person,
            "secret",
            kind,
            update,
            now,
            target=message,
            needs_followup=kind != "cast",
            data={"marks": list(person.secret_choice)},
        )
        self._by_edit[(uid, message)] = action


def _reply_kind(action: Action, text: str) -> str:
    if text.startswith(APOLOGY):
        return "error"
    good = {
        "submit": RECEIPTS,
        "comment": (COMMENT_DONE,),
        "names": (NAMES_DONE,),
        "ballot_start": (BALLOT,),
    }.get(action.kind, ())
    return "ok" if text.startswith(good) else "refused"
