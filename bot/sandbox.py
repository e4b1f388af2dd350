"""`python -m bot sandbox [--dir DIR] [--ready]`: chat with the real bot in the terminal.

The same local Bot API server and bot process as the demo (`bot.demo`), but the person at
the keyboard acts: as any of the simulated people, in the cluster's group or in their
private chat, sending text, documents from disk and button presses. Lines that start
with `:` are sandbox commands (`:giup` lists them); any other line is sent as a message.
The bot's messages are printed with their number (#) and numbered buttons.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.dates import DateParseError, parse_datetime
from bot.demo import GROUP, GROUP_TITLE, HAI, LIAISONS, PEOPLE, START, VN, Demo, DemoFailure
from bot.services.common import fold_text

if TYPE_CHECKING:
    from bot.demo import Person
    from bot.local_api import SentMessage

HELP = """Lệnh của sandbox (các dòng khác được gửi như tin nhắn):
  :nguoi                  danh sách người tham gia
  :ai <số | tên>          đổi người đang gõ (ví dụ :ai 2, :ai Hà)
  :nhom | :rieng          gõ trong nhóm của cụm | trong tin nhắn riêng với bot
  :tra <#số | chữ>        dòng tiếp theo trả lời tin nhắn đó (như bấm “Trả lời”)
  :tep <đường dẫn>        gửi một tệp từ máy (theo :tra nếu có)
  :bam <nhãn nút> [#số]   bấm nút của tin nhắn số đó (mặc định: tin gần nhất có nút này)
  :gio <ngày giờ>         chuyển đồng hồ của câu chuyện, ví dụ :gio 9:00 15/11/2022
  :doi                    chờ bot trả lời hết
  :giup                   hướng dẫn này
  :thoat                  kết thúc
Một dòng kết thúc bằng \\ được nối với dòng sau (tin nhắn nhiều dòng, như /themdonvi)."""


def _read_file(name: str) -> bytes | None:
    path = Path(name).expanduser()
    return path.read_bytes() if path.is_file() else None


class Sandbox:
    """Reads the person's lines and acts them out against the local server."""

    def __init__(self, demo: Demo, out: TextIO) -> None:
        self.demo = demo
        self.out = out
        self.me: Person = HAI
        self.chat_id = GROUP
        self.reply_to: int | None = None

    def say(self, text: str) -> None:
        """A line from the sandbox itself (not from the bot or a person)."""
        self.demo.transcript.write(f"» {text}")

    def where(self) -> str:
        """`Trần Văn Hải @ Nhóm Cụm thi đua số 1`."""
        return f"{self.me.name} @ {self.demo.transcript.chat_label(self.chat_id)}"

    async def handle(self, line: str) -> bool:
        """Act one line; False to stop."""
        line = line.rstrip("\n")
        if not line.strip():
            return True
        if not line.startswith(":"):
            await self.demo.say(self.me, self.chat_id, line, reply_to=self._take_reply())
            await self.demo.transcript.settle()
            return True
        command, _, rest = line[1:].partition(" ")
        rest = rest.strip()
        command = fold_text(command)
        if command in ("thoat", "q", "quit", "exit"):
            return False
        action = {
            "giup": self._help,
            "help": self._help,
            "nguoi": self._people,
            "ai": self._who,
            "nhom": self._group,
            "rieng": self._private,
            "tra": self._reply,
            "tep": self._file,
            "bam": self._press,
            "gio": self._time,
            "doi": self._wait,
        }.get(command)
        if action is None:
            self.say(f"Không có lệnh “:{command}”. Gõ :giup để xem các lệnh.")
            return True
        await action(rest)
        return True

    def _take_reply(self) -> int | None:
        reply, self.reply_to = self.reply_to, None
        return reply

    async def _help(self, _rest: str) -> None:
        self.demo.transcript.write(HELP)

    async def _people(self, _rest: str) -> None:
        for number, person in enumerate(PEOPLE, start=1):
            role = f"đầu mối {person.unit}" if person.unit else "quản trị viên nhóm"
            mark = "  ← đang gõ" if person == self.me else ""
            self.say(f"{number}. {person.name} ({role}){mark}")

    async def _who(self, rest: str) -> None:
        found = [
            p
            for n, p in enumerate(PEOPLE, start=1)
            if rest == str(n) or (rest and fold_text(rest) in fold_text(p.name))
        ]
        if len(found) != 1:
            self.say("Không rõ là ai. Gõ :nguoi để xem danh sách, rồi :ai <số>.")
            return
        self.me = found[0]
        if self.chat_id > 0:
            self.chat_id = self.me.id
        self.say(f"Đang gõ: {self.where()}")

    async def _group(self, _rest: str) -> None:
        self.chat_id = GROUP
        self.say(f"Đang gõ: {self.where()}")

    async def _private(self, _rest: str) -> None:
        self.chat_id = self.me.id
        self.say(f"Đang gõ: {self.where()}")

    async def _reply(self, rest: str) -> None:
        number = rest.lstrip("#")
        if number.isascii() and number.isdigit():
            self.reply_to = int(number)
        else:
            # Words of the message instead of its number: the latest bot message with them.
            wanted = fold_text(rest)
            found = [
                m.message_id
                for m in self.demo.api.sent(self.chat_id)
                if wanted and wanted in fold_text(m.plain or "")
            ]
            if not found:
                self.say("Không thấy tin nhắn đó; ví dụ :tra #12 hoặc :tra Yêu cầu báo cáo")
                return
            self.reply_to = found[-1]
        self.say(f"Dòng tiếp theo trả lời tin nhắn #{self.reply_to}.")

    async def _file(self, rest: str) -> None:
        content = await asyncio.to_thread(_read_file, rest)
        if content is None:
            self.say(f"Không tìm thấy tệp “{rest}”.")
            return
        await self.demo.send_file(
            self.me, self.chat_id, Path(rest).name, content, reply_to=self._take_reply()
        )
        await self.demo.transcript.settle()

    def _find_button(self, label: str, number: int | None) -> tuple[SentMessage, str] | None:
        wanted = fold_text(label)
        messages = self.demo.api.sent(self.chat_id)
        for message in reversed(messages):
            if number is not None and message.message_id != number:
                continue
            for button in message.buttons:
                text = str(button.get("text", ""))
                if "callback_data" in button and (
                    fold_text(text) == wanted or wanted in fold_text(text)
                ):
                    return message, text
        return None

    async def _press(self, rest: str) -> None:
        words = rest.split()
        number = None
        if words and words[-1].startswith("#") and words[-1][1:].isdigit():
            number = int(words.pop()[1:])
        found = self._find_button(" ".join(words), number)
        if found is None:
            self.say("Không thấy nút này trong cuộc trò chuyện hiện tại.")
            return
        message, label = found
        await self.demo.press(self.me, self.chat_id, message, label)
        await self.demo.transcript.settle()

    async def _time(self, rest: str) -> None:
        try:
            when = parse_datetime(rest, self.demo.now(), VN, default_time=datetime.min.time())
        except DateParseError:
            self.say("Không đọc được thời điểm; ví dụ :gio 9:00 15/11/2022")
            return
        await self.demo.travel(when)
        # Reminders wait in real time inside the bot: a restart sends what came due.
        await self.demo.restart_bot("khởi động lại để bot nhận thời điểm mới")
        await self.demo.transcript.settle()

    async def _wait(self, _rest: str) -> None:
        await self.demo.transcript.settle(limit=10.0)


async def _lines(stream: TextIO) -> str | None:
    """The next input line (None at the end), read without blocking the event loop."""
    line = await asyncio.get_running_loop().run_in_executor(None, stream.readline)
    return line or None


async def _session(demo: Demo, stdin: TextIO, out: TextIO, ready: bool) -> None:
    api = demo.api
    for person in PEOPLE:
        api.add_user(person.id, person.name, username=person.username, started=False)
    api.add_group(
        GROUP,
        GROUP_TITLE,
        supergroup=True,
        admins=[HAI.id],
        bot_member=False,
        members=[p.id for p in LIAISONS],
    )
    await demo.travel(START, announce=False)
    await demo.start_bot()
    sandbox = Sandbox(demo, out)
    if ready:
        await demo.setup_cluster()
    else:
        api.add_bot_to_group(GROUP, HAI.id)
        api.set_admins(GROUP, [HAI.id], bot_is_admin=True)
    await demo.transcript.settle()
    demo.transcript.write(HELP)
    sandbox.say(f"Đang gõ: {sandbox.where()}")
    while True:
        line = await _lines(stdin)
        # "text \" continues on the next line: one message of several lines.
        while line is not None and line.rstrip("\n").endswith("\\"):
            more = await _lines(stdin)
            line = line.rstrip("\n")[:-1].rstrip() + "\n" + (more or "")
        if line is None or not await sandbox.handle(line):
            break
    await demo.transcript.settle()


def run_sandbox(
    folder: Path, *, ready: bool = False, stdin: TextIO | None = None, out: TextIO | None = None
) -> int:
    """Start the server and the bot, then act the input's lines; 0 when the bot ran well."""
    out = out or sys.stdout
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    demo = Demo(folder, out)
    demo.transcript.show_ids = True

    async def main() -> str | None:
        await demo.api.start("127.0.0.1", 0)
        try:
            await _session(demo, stdin or sys.stdin, out, ready)
        except DemoFailure as exc:
            return str(exc)
        finally:
            code = await demo.stop_bot()
            demo.transcript.flush()
            await demo.api.stop()
        return None if code in (0, None) else f"bot dừng với mã {code} (xem {demo.log_path})"

    failure = asyncio.run(main())
    if failure is not None:
        print(f"❌ {failure}", file=sys.stderr)
        return 1
    print(f"Dữ liệu của phiên thử: {folder}", file=out)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the options and start the sandbox."""
    parser = argparse.ArgumentParser(prog="python -m bot sandbox", description=__doc__)
    parser.add_argument("--dir", type=Path, default=None, help="folder for the data")
    parser.add_argument(
        "--ready",
        action="store_true",
        help="start with the cluster set up (four units, their liaisons joined)",
    )
    args = parser.parse_args(argv)
    folder = args.dir or Path(tempfile.mkdtemp(prefix="sandbox-"))
    with contextlib.suppress(KeyboardInterrupt):
        return run_sandbox(folder, ready=args.ready)
    return 130
