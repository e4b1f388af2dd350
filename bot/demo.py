"""`python -m bot demo [--out DIR]`: the seed year of Cụm thi đua số 1, played offline.

The demo starts the local Bot API server (`bot.local_api.LocalBotAPI`) in this process,
starts the real bot as a subprocess (`python -m bot run`) pointed at it, and plays the
cluster's year 2022 with simulated people: set-up, liaisons joining by invitation links,
the meeting of 01/11/2022, the year-end report (one late, one returned and resubmitted),
the draft consolidated report to confirm, the secret bình xét and the export.

Every step waits for the bot's own answer; a missing answer stops the demo with exit
status 1. The transcript goes to stdout; the export files, the database and the bot's
log stay in the output folder.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import os
import re
import signal
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from zoneinfo import ZoneInfo

from bot.local_api import LocalBotAPI, SentMessage

if TYPE_CHECKING:
    from collections.abc import Callable

TOKEN = "777000123:DEMO-offline-token_cum1"  # noqa: S105 - a fake token for the local server
VN = ZoneInfo("Asia/Ho_Chi_Minh")
ROOT = Path(__file__).resolve().parent.parent
GROUP = -1001000000001
GROUP_TITLE = "Cụm thi đua số 1"
CLUSTER = "Cụm thi đua số 1 | 2022"
START = datetime(2022, 10, 20, 8, 30, tzinfo=VN)
WAIT = 30.0
SETTLE_QUIET = 0.2
SETTLE_LIMIT = 3.0

UNITS = (
    ("VSP", "Liên doanh Việt – Nga Vietsovpetro"),
    ("PVEP", "Tổng công ty Thăm dò khai thác Dầu khí"),
    ("RVP", "Công ty TNHH Liên doanh Rusvietpetro"),
    ("GPV", "Công ty TNHH Gazpromviet"),
)
MEETING = (
    "Họp Cụm thi đua số 1 | 9:00 01/11/2022 | Phòng họp Vietsovpetro, Vũng Tàu | "
    "Thống nhất kế hoạch hoạt động các tháng cuối năm 2022"
)
REPORT = "Báo cáo tổng kết công tác thi đua khen thưởng năm 2022"
DRAFT = "Dự thảo báo cáo tổng hợp của Cụm thi đua số 1"
RETURN_COMMENT = "Đề nghị bổ sung số liệu quý IV và danh sách đề nghị khen thưởng"
PDF = b"%PDF-1.7\n"
DOCX = b"PK\x03\x04"
POLL = "Bình xét đề nghị Cờ thi đua của Tập đoàn năm 2022"


@dataclasses.dataclass(frozen=True)
class Person:
    """A simulated person of the cluster."""

    id: int
    name: str
    unit: str | None = None
    username: str | None = None


HAI = Person(1001, "Trần Văn Hải", None, "tranvanhai_vsp")  # group admin, Vietsovpetro office
HA = Person(1002, "Lê Thị Thu Hà", "VSP")
DUC = Person(1003, "Phạm Minh Đức", "PVEP")
TUAN = Person(1004, "Hoàng Anh Tuấn", "RVP")
LAN = Person(1005, "Đỗ Thị Lan", "GPV")
PEOPLE = (HAI, HA, DUC, TUAN, LAN)
LIAISONS = (HA, DUC, TUAN, LAN)


class DemoFailure(Exception):
    """A step did not get the bot's expected answer."""


_WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


def _marked(choice: str) -> Callable[[SentMessage], bool]:
    """Match the ballot once the candidate shows as marked."""

    def match(message: SentMessage) -> bool:
        return message.event == "edited" and f"☑ {choice}" in str(message.reply_markup)

    return match


def _only_mentions(message: SentMessage) -> bool:
    """Whether a message is nothing but mentions (the ping after an edited receipt)."""
    text = message.plain or ""
    spans = [
        (int(e["offset"]), int(e["offset"]) + int(e["length"]))
        for e in message.entities
        if e.get("type") in ("text_mention", "mention", "text_link")
    ]
    if not text or not spans:
        return False
    # Vietnamese names are in the Basic Multilingual Plane: UTF-16 offsets are indices.
    rest = "".join(c for i, c in enumerate(text) if not any(a <= i < b for a, b in spans))
    return rest.strip(", ") == ""


class Transcript:
    """Renders what people do and what the bot sends, in order, as readable lines."""

    def __init__(self, api: LocalBotAPI, out: TextIO) -> None:
        self.api = api
        self.out = out
        self.names = {p.id: p.name for p in PEOPLE}
        self._printed = 0
        self.lines: list[str] = []
        # The sandbox numbers the bot's messages so a person can reply to one or press on it.
        self.show_ids = False

    def chat_label(self, chat_id: int) -> str:
        """`Nhóm <title>` for the group, `Riêng · <name>` for a private chat."""
        if chat_id < 0:
            chat = self.api.chats.get(chat_id)
            return f"Nhóm {chat.title if chat else chat_id}"
        return f"Riêng · {self.names.get(chat_id, chat_id)}"

    def write(self, line: str = "") -> None:
        """Print one line (or block) and keep it."""
        self.lines.append(line)
        print(line, file=self.out, flush=True)

    async def settle(self, quiet: float = SETTLE_QUIET, limit: float = SETTLE_LIMIT) -> None:
        """Wait until the bot has taken every update and sent nothing for `quiet` seconds.

        Keeps the transcript in order: the bot's follow-ups to one action (a private copy,
        a mention) are printed before the next person speaks.
        """
        loop = asyncio.get_running_loop()
        start = last_change = loop.time()
        seen = len(self.api.history)
        while loop.time() - start < limit:
            await asyncio.sleep(0.05)
            now = loop.time()
            if len(self.api.history) != seen:
                seen, last_change = len(self.api.history), now
            elif now - last_change >= quiet and not self.api.pending_updates:
                break
        self.flush()

    def person(self, person: Person, chat_id: int, what: str) -> None:
        """A person's action, after whatever the bot sent before it."""
        self.flush()
        self.write(self._block(f"[{self.chat_label(chat_id)}] {person.name}: ", what))

    def flush(self) -> None:
        """Print every bot message and edit not printed yet."""
        history = self.api.history
        while self._printed < len(history):
            self.write(self._render(history[self._printed]))
            self._printed += 1

    @staticmethod
    def _block(head: str, body: str) -> str:
        lines = body.split("\n")
        pad = " " * 4
        return "\n".join([head + lines[0], *(pad + line for line in lines[1:])])

    def _render(self, message: SentMessage) -> str:
        who = "🤖 Bot" if message.event == "sent" else "🤖 Bot (sửa tin nhắn)"
        if self.show_ids:
            who = f"#{message.message_id} {who}"
        body = message.plain or ""
        if message.document is not None:
            name = message.document.get("file_name") or "tệp"
            body = f"📎 {name}" + (f"\n{body}" if body else "")
        elif message.photo:
            body = "🖼 ảnh" + (f"\n{body}" if body else "")
        if _only_mentions(message):
            body = f"🔔 {body}"
        text = self._block(f"[{self.chat_label(message.chat_id)}] {who}: ", body)
        rows = (message.reply_markup or {}).get("inline_keyboard") or []
        for row in rows:
            text += "\n    " + " ".join(f"[{button.get('text', '')}]" for button in row)
        return text


class Demo:
    """The local server, the bot process, the shifted clock and the people's actions."""

    def __init__(self, out_dir: Path, stream: TextIO) -> None:
        self.out_dir = out_dir
        self.data_dir = out_dir / "data"
        self.exports_dir = out_dir / "exports"
        self.clock_file = out_dir / "clock"
        self.log_path = out_dir / "bot.log"
        self.db_path = self.data_dir / "bot.sqlite3"
        self.offset = 0.0
        self.api = LocalBotAPI(
            TOKEN, bot_username="cum_thi_dua_bot", bot_name="Cụm thi đua", clock=self.now_epoch
        )
        self.transcript = Transcript(self.api, stream)
        self.process: asyncio.subprocess.Process | None = None
        self.step_name = "khởi động"

    # -- time --------------------------------------------------------------------------

    def now_epoch(self) -> float:
        """The demo's clock: system time shifted into 2022 (the bot reads the same file)."""
        return time.time() + self.offset

    def now(self) -> datetime:
        """The demo's current time in Vietnam."""
        return datetime.fromtimestamp(self.now_epoch(), VN)

    async def travel(self, to: datetime, *, announce: bool = True) -> None:
        """Move the story's clock (the bot process and the server) to `to`."""
        if announce:
            await self.transcript.settle()
        self.offset = to.timestamp() - time.time()
        self.clock_file.write_text(f"{self.offset:.3f}", encoding="utf-8")
        if announce:
            self.transcript.flush()
            when = to.astimezone(VN)
            day = _WEEKDAYS[when.weekday()]
            self.transcript.write("")
            self.transcript.write(f"⏩ {when:%H:%M} {day}, {when:%d/%m/%Y}")

    # -- the bot process -----------------------------------------------------------------

    async def start_bot(self) -> None:
        """Start the real bot process against the local server."""
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))},
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": self.api.base_url,
            "TELEGRAM_API_FILE_URL": self.api.base_file_url,
            "DATA_DIR": str(self.data_dir),
            "BOT_CLOCK_FILE": str(self.clock_file),
            "BOT_RATE_LIMIT": "off",
            "LOG_LEVEL": os.environ.get("LOG_LEVEL") or "INFO",
        }
        env.pop("WEBHOOK_URL", None)
        log = self.log_path.open("ab")
        try:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                env=env,
                stdout=log,
                stderr=log,
                cwd=str(ROOT),
            )
        finally:
            log.close()
        try:
            await self.api.wait_until_polling(timeout=60)
        except TimeoutError as exc:
            msg = f"tiến trình bot không kết nối được máy chủ cục bộ (xem {self.log_path})"
            raise DemoFailure(msg) from exc

    async def stop_bot(self) -> int | None:
        """Stop the bot as Ctrl+C would; kill it after 20 s."""
        process, self.process = self.process, None
        if process is None or process.returncode is not None:
            return None if process is None else process.returncode
        process.send_signal(signal.SIGINT)
        try:
            return await asyncio.wait_for(process.wait(), timeout=20)
        except TimeoutError:
            process.kill()
            await process.wait()
            return None

    async def restart_bot(self, why: str) -> None:
        """Stop and start the bot process; at start it sends the reminders that came due."""
        await self.transcript.settle()
        self.transcript.write(f"🔄 ({why})")
        code = await self.stop_bot()
        if code != 0:
            msg = f"bước “{self.step_name}”: bot dừng với mã {code} (xem {self.log_path})"
            raise DemoFailure(msg)
        await self.start_bot()

    # -- people ---------------------------------------------------------------------------

    async def say(
        self,
        person: Person,
        chat_id: int,
        text: str,
        *,
        reply_to: int | None = None,
        note: str = "",
    ) -> None:
        """A person writes in a chat (`note`: how, shown in brackets)."""
        await self.transcript.settle()
        shown = ("↩ " if reply_to else "") + text + (f"   ({note})" if note else "")
        self.transcript.person(person, chat_id, shown)
        self.api.send_text(person.id, chat_id, text, reply_to=reply_to)

    async def send_file(
        self,
        person: Person,
        chat_id: int,
        name: str,
        content: bytes,
        *,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """A person sends a document."""
        await self.transcript.settle()
        self.transcript.person(person, chat_id, ("↩ " if reply_to else "") + f"📎 {name}")
        return self.api.send_document(person.id, chat_id, name, content, reply_to=reply_to)

    async def press(self, person: Person, chat_id: int, message: SentMessage, label: str) -> None:
        """A person presses a button of a bot message."""
        data = message.button(label)
        text = next(
            (str(b.get("text")) for b in message.buttons if b.get("callback_data") == data), label
        )
        await self.transcript.settle()
        self.transcript.person(person, chat_id, f"bấm [{text}]")
        self.api.press(person.id, chat_id, message.message_id, data)

    async def narrate(self, person: Person, chat_id: int, what: str) -> None:
        """Something a person does outside the chats the bot sees."""
        await self.transcript.settle()
        self.transcript.person(person, chat_id, f"({what})")

    async def expect(
        self,
        chat_id: int,
        contains: str | None = None,
        predicate: Callable[[SentMessage], bool] | None = None,
        *,
        timeout: float = WAIT,  # noqa: ASYNC109
    ) -> SentMessage:
        """Wait for the bot's answer; fail the demo when it does not come (or the bot dies)."""
        waiter = asyncio.ensure_future(
            self.api.wait_for_message(
                predicate, chat_id=chat_id, contains=contains, timeout=timeout
            )
        )
        watched: set[asyncio.Future[Any]] = {waiter}
        died: asyncio.Future[int] | None = None
        if self.process is not None:
            died = asyncio.ensure_future(self.process.wait())
            watched.add(died)
        try:
            await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if died is not None:
                died.cancel()
        if not waiter.done():
            waiter.cancel()
            self.transcript.flush()
            code = self.process.returncode if self.process else None
            msg = (
                f"bước “{self.step_name}”: tiến trình bot đã dừng (mã {code}) "
                f"— xem {self.log_path}"
            )
            raise DemoFailure(msg)
        try:
            message = waiter.result()
        except TimeoutError as exc:
            self.transcript.flush()
            want = f"“{contains}”" if contains else "tin nhắn mong đợi"
            msg = (
                f"bước “{self.step_name}”: bot không trả lời {want} "
                f"trong {self.transcript.chat_label(chat_id)} sau {timeout:.0f} giây"
            )
            raise DemoFailure(msg) from exc
        self.transcript.flush()
        return message

    def _require(self, condition: bool, what: str) -> None:
        """Fail the demo when the bot's answer is not what the story needs."""
        if not condition:
            raise DemoFailure(f"bước “{self.step_name}”: {what}")

    async def step(self, name: str) -> None:
        """Start a named step of the story."""
        await self.transcript.settle()
        self.step_name = name
        self.transcript.write("")
        self.transcript.write(f"── {name} ──")

    # -- the story ----------------------------------------------------------------------

    async def play(self) -> None:
        """The seed year, step by step."""
        api = self.api
        for person in PEOPLE:
            api.add_user(person.id, person.name, username=person.username)
        api.add_group(
            GROUP,
            GROUP_TITLE,
            supergroup=True,
            admins=[HAI.id],
            bot_member=False,
            members=[p.id for p in LIAISONS],
        )
        await self.travel(START, announce=False)
        await self.start_bot()
        self.transcript.write(f"⏩ {START:%H:%M} {_WEEKDAYS[START.weekday()]}, {START:%d/%m/%Y}")
        await self.setup_cluster()
        await self._meeting()
        request = await self._report_request()
        await self._submissions(request)
        await self._confirmation()
        await self._poll()
        await self._status_and_export()

    async def setup_cluster(self) -> None:
        """Set-up: the group, the four units, the lead unit, liaisons by invitation."""
        api = self.api
        await self.step("Thêm bot vào nhóm và thiết lập cụm")
        await self.narrate(HAI, GROUP, "thêm bot vào nhóm, với quyền quản trị")
        api.add_bot_to_group(GROUP, HAI.id, as_admin=True)
        await self.expect(GROUP, "Xin chào")
        await self.say(HAI, GROUP, f"/thietlap {CLUSTER}")
        await self.expect(GROUP, "Nhóm đã được đăng ký")
        units = "\n".join(f"{code} {name}" for code, name in UNITS)
        await self.say(HAI, GROUP, f"/themdonvi {units}")
        await self.expect(GROUP, "Đã thêm 4 đơn vị")
        await self.say(HAI, GROUP, "/cumtruong VSP")
        await self.expect(GROUP, "Đơn vị cụm trưởng")

        await self.step("Mời đầu mối các đơn vị bằng đường dẫn mời")
        await self.say(HAI, HAI.id, "/start")
        await self.expect(HAI.id, "Bot điều phối cụm thi đua")
        for person in LIAISONS:
            await self.say(HAI, GROUP, f"/moi {person.unit}")
            invite = await self.expect(HAI.id, "?start=inv_")
            await self.expect(GROUP, f"Bot đã gửi đường dẫn mời của đơn vị {person.unit}")
            found = re.search(r"start=(inv_[A-Za-z0-9_-]+)", invite.plain or "")
            if found is None:
                msg = f"bước “{self.step_name}”: tin nhắn mời không có đường dẫn inv_"
                raise DemoFailure(msg)
            await self.say(
                person,
                person.id,
                f"/start {found.group(1)}",
                note=f"mở đường dẫn mời do {HAI.name} chuyển qua thư điện tử",
            )
            await self.expect(person.id, "Chào mừng anh/chị")
            await self.expect(GROUP, f"Anh/chị {person.name} đã trở thành đầu mối")
        await self.say(HA, GROUP, "/donvi")
        await self.expect(GROUP, "Đầu mối: Lê Thị Thu Hà")

    async def _meeting(self) -> None:
        await self.step("Lịch họp Cụm ngày 01/11/2022")
        await self.say(HA, GROUP, f"/hop {MEETING}")
        meeting = await self.expect(GROUP, "Cuộc họp: Họp Cụm thi đua số 1")
        attendees = {
            HA: "Ông Nguyễn Tiến Vinh – Phó Tổng giám đốc",
            DUC: "Bà Nguyễn Thị Mai – Chủ tịch Công đoàn",
            LAN: "Ông Lê Văn Nam – Trưởng phòng Tổ chức nhân sự",
        }
        for person, who in attendees.items():
            await self.press(person, GROUP, meeting, "Tham dự")
            await self.expect(person.id, "Thành phần tham dự")
            await self.say(person, person.id, who)
            await self.expect(person.id, "Đã ghi nhận thành phần tham dự")

        await self.step("Nhắc lịch họp trước 3 ngày: RVP chưa trả lời")
        await self.travel(datetime(2022, 10, 29, 9, 0, tzinfo=VN))
        reminder = await self.expect(GROUP, "⏰ Nhắc lịch họp")
        self._require("RVP" in (reminder.plain or ""), "lời nhắc họp không nêu RVP")
        await self.expect(TUAN.id, "⏰ Nhắc lịch họp")
        await self.press(TUAN, GROUP, meeting, "Vắng mặt")
        await self.expect(
            GROUP,
            None,
            lambda m: m.message_id == meeting.message_id and "Vắng mặt: RVP" in (m.plain or ""),
            timeout=20,
        )

    async def _report_request(self) -> SentMessage:
        await self.travel(datetime(2022, 11, 2, 8, 30, tzinfo=VN))
        await self.step("Yêu cầu báo cáo tổng kết năm 2022")
        await self.say(HA, GROUP, f"/yeucau {REPORT} | 17:00 15/11/2022")
        return await self.expect(GROUP, f"Yêu cầu báo cáo: {REPORT}")

    async def _submissions(self, request: SentMessage) -> None:
        reply_to = request.message_id
        await self.travel(datetime(2022, 11, 7, 10, 15, tzinfo=VN))
        await self.step("Các đơn vị nộp báo cáo")
        await self.send_file(
            DUC, GROUP, "BC tong ket PVEP 2022.pdf", PDF + b" PVEP 2022 v1", reply_to=reply_to
        )
        pvep = await self.expect(GROUP, "✅ Đã nhận báo cáo của Tổng công ty Thăm dò")
        await self.send_file(HA, HA.id, "BC tong ket VSP 2022.docx", DOCX + b" VSP 2022")
        await self.expect(HA.id, "✅ Đã nhận báo cáo")
        vsp = await self.expect(GROUP, "📥 Đơn vị VSP đã nộp")

        await self.step("Nhắc hạn trước 3 ngày")
        await self.travel(datetime(2022, 11, 12, 17, 0, tzinfo=VN))
        reminder = await self.expect(GROUP, "⏰ Nhắc hạn")
        self._require("RVP" in (reminder.plain or ""), "lời nhắc không nêu RVP")
        await self.expect(TUAN.id, "(RVP) chưa nộp")

        await self.travel(datetime(2022, 11, 14, 16, 40, tzinfo=VN))
        await self.send_file(LAN, GROUP, "BC GPV 2022.pdf", PDF + b" GPV 2022", reply_to=reply_to)
        gpv = await self.expect(GROUP, "✅ Đã nhận báo cáo của Công ty TNHH Gazpromviet")

        await self.step("Thường trực cụm xem xét: trả lại một báo cáo, tiếp nhận các báo cáo khác")
        await self.press(HAI, GROUP, pvep, "Yêu cầu bổ sung")
        prompt = await self.expect(GROUP, "nội dung đơn vị cần bổ sung")
        await self.say(HAI, GROUP, RETURN_COMMENT, reply_to=prompt.message_id)
        await self.expect(GROUP, "đề nghị đơn vị PVEP bổ sung")
        await self.expect(DUC.id, "đề nghị đơn vị PVEP bổ sung")
        for message, code in ((vsp, "VSP"), (gpv, "GPV")):
            await self.press(HAI, GROUP, message, "Tiếp nhận")
            await self.expect(GROUP, f"tiếp nhận báo cáo của đơn vị {code}")

        await self.step("Nhắc hạn trước 1 ngày: PVEP cần bổ sung, RVP chưa nộp")
        await self.travel(datetime(2022, 11, 14, 17, 0, tzinfo=VN))
        reminder = await self.expect(GROUP, "⏰ Nhắc hạn")
        self._require("PVEP" in (reminder.plain or ""), "lời nhắc không nêu PVEP")

        await self.travel(datetime(2022, 11, 15, 8, 45, tzinfo=VN))
        await self.step("PVEP nộp lại (bản 2)")
        await self.send_file(
            DUC,
            GROUP,
            "BC tong ket PVEP 2022 (bo sung).pdf",
            PDF + b" PVEP 2022 v2",
            reply_to=reply_to,
        )
        pvep2 = await self.expect(GROUP, "— bản 2")
        await self.press(HAI, GROUP, pvep2, "Tiếp nhận")
        await self.expect(GROUP, "tiếp nhận báo cáo của đơn vị PVEP")

        await self.step("Nhắc hạn: còn 2 giờ, Rusvietpetro chưa nộp")
        await self.travel(datetime(2022, 11, 15, 15, 0, tzinfo=VN))
        reminder = await self.expect(GROUP, "⏰ Nhắc hạn")
        self._require("PVEP" not in (reminder.plain or ""), "lời nhắc vẫn nêu PVEP")
        await self.expect(TUAN.id, "(RVP) chưa nộp")
        await self.travel(datetime(2022, 11, 15, 17, 0, tzinfo=VN))
        await self.expect(GROUP, "⛔ Quá hạn")

        await self.step("Rusvietpetro nộp muộn")
        await self.travel(datetime(2022, 11, 16, 9, 5, tzinfo=VN))
        await self.send_file(
            TUAN, GROUP, "BC RVP 2022.docx", DOCX + b" RVP 2022", reply_to=reply_to
        )
        late = await self.expect(
            GROUP, "✅ Đã nhận báo cáo của Công ty TNHH Liên doanh Rusvietpetro"
        )
        if "nộp muộn" not in (late.plain or ""):
            msg = f"bước “{self.step_name}”: báo cáo của RVP không được ghi là nộp muộn"
            raise DemoFailure(msg)
        await self.press(HAI, GROUP, late, "Tiếp nhận")
        await self.expect(GROUP, "tiếp nhận báo cáo của đơn vị RVP")

    async def _confirmation(self) -> None:
        await self.travel(datetime(2022, 11, 18, 9, 0, tzinfo=VN))
        await self.step("Xác nhận dự thảo báo cáo tổng hợp")
        draft = await self.send_file(
            HA, GROUP, "Du thao BC tong hop Cum 1 nam 2022.docx", b"PK\x03\x04 draft"
        )
        await self.say(
            HA,
            GROUP,
            f"/xacnhan {DRAFT} | 17:00 22/11/2022",
            reply_to=draft["message"]["message_id"],
        )
        confirmation = await self.expect(GROUP, "Đề nghị xác nhận")
        for person in (HA, DUC, TUAN):
            await self.press(person, GROUP, confirmation, "Xác nhận")
        await self.press(LAN, GROUP, confirmation, "Góp ý")
        await self.expect(LAN.id, "góp ý của đơn vị GPV")
        await self.say(LAN, LAN.id, "Đề nghị bổ sung số liệu doanh thu quý IV của Gazpromviet")
        await self.expect(LAN.id, "Đã ghi nhận góp ý")
        await self.expect(
            GROUP,
            None,
            lambda m: (
                m.message_id == confirmation.message_id
                and "Có góp ý: GPV" in (m.plain or "")
                and "Đã xác nhận 3/4" in (m.plain or "")
            ),
            timeout=20,
        )

    async def _poll(self) -> None:
        await self.travel(datetime(2022, 11, 23, 8, 30, tzinfo=VN))
        await self.step("Bình xét bỏ phiếu kín")
        await self.say(HAI, GROUP, f"/binhchon {POLL} | 17:00 25/11/2022 | du_tat_ca=co")
        poll = await self.expect(GROUP, "Bình xét:")
        if "bỏ phiếu kín" not in (poll.plain or ""):
            msg = f"bước “{self.step_name}”: cuộc bình xét không phải bỏ phiếu kín"
            raise DemoFailure(msg)
        for person, choice in ((HA, "PVEP"), (DUC, "VSP"), (TUAN, "VSP"), (LAN, "VSP")):
            await self.say(
                person, person.id, "/start poll_1", note="từ nút “Bỏ phiếu (qua tin nhắn riêng)”"
            )
            ballot = await self.expect(person.id, "Phiếu bầu:")
            await self.press(person, person.id, ballot, f"☐ {choice}")
            marked = await self.expect(person.id, None, _marked(choice))
            await self.press(person, person.id, marked, "Gửi phiếu")
            review = await self.expect(person.id, "sắp gửi phiếu")
            await self.press(person, person.id, review, "Xác nhận gửi phiếu")
            await self.expect(person.id, "Bot đã nhận phiếu bầu")
        result = await self.expect(GROUP, "Kết quả bình xét", timeout=60)
        if "1. VSP – 3 phiếu" not in (result.plain or ""):
            msg = f"bước “{self.step_name}”: kết quả không như các phiếu đã bỏ"
            raise DemoFailure(msg)

    async def _status_and_export(self) -> None:
        await self.travel(datetime(2022, 11, 25, 17, 30, tzinfo=VN))
        await self.step("Tình hình và xuất dữ liệu")
        await self.say(HA, GROUP, "/tinhhinh")
        await self.expect(GROUP, "Tình hình")
        await self.say(HAI, GROUP, "/xuat")
        await self.expect(GROUP, "sẽ nhận các tệp trong tin nhắn riêng")
        await self.expect(HAI.id, "Đã xong", timeout=60)

    # -- output ---------------------------------------------------------------------------

    def save_exports(self) -> list[Path]:
        """Write every document the secretariat received privately into exports/."""
        self.exports_dir.mkdir(parents=True, exist_ok=True)
        saved: list[Path] = []
        for message in self.api.sent(HAI.id):
            if message.document is None:
                continue
            name = Path(str(message.document.get("file_name") or "tep")).name
            path = self.exports_dir / name
            path.write_bytes(self.api.file_content(str(message.document["file_id"])))
            saved.append(path)
        return saved


def _quiet_server_logs(path: Path) -> logging.Handler:
    """The local server's own warnings (4xx answers, …) go to a file, not the transcript.

    Its access lines name the request path, which holds the token: redacted as the bot's are.
    """
    from bot.__main__ import RedactingFormatter

    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(
        RedactingFormatter(TOKEN, "%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    for name in ("tornado", "bot.local_api"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.propagate = False
        logger.setLevel(logging.WARNING)
    return handler


def run_demo(out_dir: Path, stream: TextIO | None = None) -> int:
    """Play the demo into out_dir; 0 when every step got its answer."""
    stream = stream or sys.stdout
    # Absolute: the bot process runs from the project folder, not from the caller's.
    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    handler = _quiet_server_logs(out_dir / "server.log")
    started = time.monotonic()
    demo = Demo(out_dir, stream)
    try:
        failure = asyncio.run(_play(demo))
    finally:
        for name in ("tornado", "bot.local_api"):
            logging.getLogger(name).removeHandler(handler)
            logging.getLogger(name).propagate = True
        handler.close()
    transcript = out_dir / "transcript.txt"
    if failure is not None:
        transcript.write_text("\n".join(demo.transcript.lines) + "\n", encoding="utf-8")
        print(f"\n❌ Demo thất bại: {failure}", file=sys.stderr)
        print(f"   Nhật ký của bot: {demo.log_path}", file=sys.stderr)
        return 1
    saved = demo.save_exports()
    write = demo.transcript.write
    write("")
    write(f"✅ Demo hoàn tất trong {time.monotonic() - started:.0f} giây.")
    write(f"Thư mục kết quả: {out_dir.resolve()}")
    for path in saved:
        write(f"  • {path.relative_to(out_dir)}")
    write(f"  • {demo.db_path.relative_to(out_dir)} (cơ sở dữ liệu)")
    write(f"  • {transcript.relative_to(out_dir)}, {demo.log_path.relative_to(out_dir)}")
    transcript.write_text("\n".join(demo.transcript.lines) + "\n", encoding="utf-8")
    return 0


async def _play(demo: Demo) -> str | None:
    """Run the story; the failure's message, or None."""
    await demo.api.start("127.0.0.1", 0)
    failure: str | None = None
    try:
        await demo.play()
    except DemoFailure as exc:
        failure = str(exc)
    finally:
        returncode = await demo.stop_bot()
        demo.transcript.flush()
        await demo.api.stop()
    if failure is None and returncode != 0:
        failure = f"tiến trình bot kết thúc với mã {returncode} (xem {demo.log_path})"
    if failure is None and not demo.db_path.exists():
        failure = f"không thấy cơ sở dữ liệu {demo.db_path}"
    return failure


def main(argv: list[str] | None = None) -> int:
    """Parse `--out` and run the demo."""
    parser = argparse.ArgumentParser(prog="python -m bot demo", description=__doc__)
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: ./demo-<date>-<time>)",
    )
    args = parser.parse_args(argv)
    out = args.out or Path(f"demo-{datetime.now(VN):%Y%m%d-%H%M%S}")
    with contextlib.suppress(KeyboardInterrupt):
        return run_demo(out)
    return 130


if __name__ == "__main__":
    sys.exit(main())
