"""Report requests and submissions through real updates: the seed year's report."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.fakes import Failure, markup_buttons
from tests.handlers.test_setup_flow import setup_seed_cluster
from tests.harness import Harness
from tests.updates import ADMIN, DUC_PVEP, GROUP_ID, HA_VSP, LAN_GPV, OUTSIDER, TUAN_RVP

TITLE = "Báo cáo tổng kết công tác thi đua khen thưởng năm 2022"
PDF = b"%PDF-1.7\n" + "Báo cáo tổng kết năm 2022 – Vietsovpetro".encode() + b"\n%%EOF"


async def seed_with_liaisons(h: Harness) -> None:
    """Cluster No. 1 with one liaison per unit (VSP approved as lead, others open)."""
    await setup_seed_cluster(h)
    await h.press(ADMIN, "set1:join:open")
    for person, code in ((DUC_PVEP, "PVEP"), (TUAN_RVP, "RVP"), (LAN_GPV, "GPV"), (HA_VSP, "VSP")):
        unit_id = await h.scalar("SELECT id FROM units WHERE code = ?", code)
        await h.press(person, f"join1:{unit_id}")
    request_id = await h.scalar("SELECT id FROM join_requests WHERE status = 'pending'")
    await h.press(ADMIN, f"jr1:a:{request_id}")
    h.request.clear()


async def open_request(h: Harness, extra: str = "") -> int:
    """The lead's liaison opens the seed report request; returns its group message id."""
    await h.say(HA_VSP, f"/yeucau {TITLE} | 17:00 15/11/2022{extra}")
    return h.request.last_message_id(GROUP_ID)


async def versions(h: Harness) -> list[tuple[str, int, str, int]]:
    rows = await h.rows(
        "SELECT u.code, s.version, s.storage, s.late_seconds FROM submissions s "
        "JOIN units u ON u.id = s.unit_id ORDER BY s.id"
    )
    return [(str(a), int(b), str(c), int(d)) for a, b, c, d in rows]


async def test_request_is_posted_with_deadline_units_and_buttons(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness)
    message = harness.request.sent(GROUP_ID)[-1]
    text = message.params["text"]
    assert f"📋 <b>Yêu cầu báo cáo: {TITLE}</b>" in text
    assert "Hạn nộp: 17:00 thứ Ba, 15/11/2022" in text
    assert "Đã nộp 0/4: —" in text
    assert "Chưa nộp: VSP, PVEP, RVP, GPV" in text
    assert "trả lời tin nhắn này bằng tệp báo cáo" in text
    labels = [b[0] for b in markup_buttons(message)]
    assert labels == ["Đổi hạn", "Đóng", "Hủy", "Nhận tệp qua tin nhắn riêng"]
    assert await harness.rows("SELECT kind, title, deadline_at, status FROM requests") == [
        ("report", TITLE, "2022-11-15T10:00:00+00:00", "open")
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (TITLE, "cách nhau bởi dấu “|”"),
        (f"{TITLE} | hôm qua", "Thời điểm này đã qua."),
        (f"{TITLE} | 31/02/2023", "không tồn tại"),
        (f"{TITLE} | 15/11/2022 | don_vi=VSP;XYZ", "mang mã XYZ"),
        (f"{TITLE} | 15/11/2022 | dinh_dang=exe", "“exe” không phải định dạng"),
        (f"{TITLE} | 15/11/2022 | nonsense", "chưa đọc được tùy chọn"),
        ("x" * 201 + " | 15/11/2022", "quá dài"),
    ],
)
async def test_bad_request_arguments_change_nothing(
    harness: Harness, args: str, expected: str
) -> None:
    await seed_with_liaisons(harness)
    await harness.say(ADMIN, f"/request {args}")
    assert expected in harness.request.last_sent(GROUP_ID)
    assert await harness.scalar("SELECT COUNT(*) FROM requests") == 0


async def test_request_by_a_plain_liaison_is_refused(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(DUC_PVEP, f"/request {TITLE} | 15/11/2022")
    assert "chỉ thường trực cụm" in harness.request.last_sent(GROUP_ID)
    assert await harness.scalar("SELECT COUNT(*) FROM requests") == 0


async def test_submission_by_reply_is_stored_with_receipt(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    request_message = await open_request(harness)
    await harness.send_file(DUC_PVEP, "BC tong ket PVEP 2022.pdf", PDF, reply_to=request_message)
    receipt = harness.request.last_sent(GROUP_ID)
    assert receipt.startswith(
        f"✅ Đã nhận báo cáo của Tổng công ty Thăm dò khai thác Dầu khí cho “{TITLE}” — bản 1, "
    )
    assert "nộp lúc 10:00 thứ Năm, 20/10/2022 (đúng hạn)." in receipt
    receipt_call = [c for c in harness.request.sent(GROUP_ID) if c.endpoint == "sendMessage"][-1]
    assert [b[0] for b in markup_buttons(receipt_call)] == [
        "Tiếp nhận",
        "Yêu cầu bổ sung",
    ]
    assert await versions(harness) == [("PVEP", 1, "stored", 0)]
    stored = harness.settings.files_dir / "1" / "1" / "PVEP_v1.pdf"
    assert stored.read_bytes() == PDF
    assert (
        await harness.scalar("SELECT sha256 FROM submissions") == hashlib.sha256(PDF).hexdigest()
    )
    assert await harness.scalar("SELECT file_name FROM submissions") == "BC tong ket PVEP 2022.pdf"
    # The request message now shows PVEP as submitted.
    edit = next(
        c for c in reversed(harness.request.sent(GROUP_ID)) if c.endpoint == "editMessageText"
    )
    assert int(edit.params["message_id"]) == request_message
    assert "Đã nộp 1/4: PVEP" in edit.params["text"]


async def test_resubmission_is_a_new_version_and_a_duplicate_is_not(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness)
    # With exactly one open request, a document in the group needs no reply.
    await harness.send_file(TUAN_RVP, "RVP_baocao.docx", b"PK\x03\x04 ban 1")
    await harness.send_file(TUAN_RVP, "RVP_baocao_sua.docx", b"PK\x03\x04 ban 2")
    assert "— bản 2," in harness.request.last_sent(GROUP_ID)
    await harness.send_file(TUAN_RVP, "RVP_baocao_sua (1).docx", b"PK\x03\x04 ban 2")
    assert "trùng với bản 2" in harness.request.last_sent(GROUP_ID)
    assert await versions(harness) == [("RVP", 1, "stored", 0), ("RVP", 2, "stored", 0)]
    folder = harness.settings.files_dir / "1" / "1"
    assert sorted(p.name for p in folder.iterdir()) == ["RVP_v1.docx", "RVP_v2.docx"]


async def test_late_submission_says_by_how_much(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness)
    harness.clock.at = harness.clock.at.replace(month=11, day=15, hour=12, minute=15)  # 19:15 VN
    await harness.send_file(LAN_GPV, "GPV.pdf", PDF + b"gpv")
    assert "(nộp muộn 2 giờ 15 phút)" in harness.request.last_sent(GROUP_ID)
    assert await versions(harness) == [("GPV", 1, "stored", 8100)]


async def test_private_submission_and_group_notice(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness)
    await harness.send_file(DUC_PVEP, "PVEP.pdf", PDF, chat_id=DUC_PVEP.id)
    assert "✅ Đã nhận báo cáo" in harness.request.last_sent(DUC_PVEP.id)
    notice = [c for c in harness.request.sent(GROUP_ID) if c.endpoint == "sendMessage"][-1]
    assert "📥 Đơn vị PVEP đã nộp" in notice.params["text"]
    assert [b[0] for b in markup_buttons(notice)] == ["Tiếp nhận", "Yêu cầu bổ sung"]


async def test_ambiguous_target_asks_with_buttons(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness)
    await harness.say(ADMIN, "/request Báo cáo phương hướng nhiệm vụ năm 2023 | 17:00 20/11/2022")
    await harness.send_file(DUC_PVEP, "PVEP.pdf", PDF, chat_id=DUC_PVEP.id)
    question = harness.request.sent(DUC_PVEP.id)[-1]
    assert question.params["text"] == "Anh/chị nộp tệp này cho yêu cầu nào?"
    buttons = markup_buttons(question)
    assert len(buttons) == 2
    assert await harness.scalar("SELECT COUNT(*) FROM submissions") == 0
    # Someone else cannot use the parked document.
    await harness.press(TUAN_RVP, buttons[1][1], chat_id=TUAN_RVP.id)
    assert harness.request.answers()[-1]["show_alert"] is True
    await harness.press(DUC_PVEP, buttons[1][1], chat_id=DUC_PVEP.id)
    assert await harness.scalar("SELECT request_id FROM submissions") == 2
    assert await harness.scalar("SELECT COUNT(*) FROM pending_documents") == 0


async def test_caption_naming_the_request_picks_it(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness)
    await harness.say(ADMIN, "/request Báo cáo phương hướng nhiệm vụ năm 2023 | 17:00 20/11/2022")
    await harness.send_file(
        DUC_PVEP, "PVEP.pdf", PDF, caption="Gửi báo cáo phương hướng nhiệm vụ năm 2023"
    )
    assert await harness.scalar("SELECT request_id FROM submissions") == 2


async def test_documents_from_people_who_cannot_submit(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    request_message = await open_request(harness, " | don_vi=VSP;PVEP")
    # An outsider sharing a file in the group is none of the bot's business.
    await harness.send_file(OUTSIDER, "anh.pdf", PDF)
    assert harness.request.sent(GROUP_ID)[-1].params["text"].startswith("📋")
    # Replying to the request, or in private, they are told why not.
    await harness.send_file(OUTSIDER, "anh.pdf", PDF, reply_to=request_message)
    assert "chưa là đầu mối của đơn vị nào trong cụm" in harness.request.last_sent(GROUP_ID)
    await harness.send_file(OUTSIDER, "anh.pdf", PDF, chat_id=OUTSIDER.id)
    assert "chưa là đầu mối của đơn vị nào" in harness.request.last_sent(OUTSIDER.id)
    # A unit the request is not addressed to.
    await harness.send_file(LAN_GPV, "GPV.pdf", PDF, reply_to=request_message)
    assert "không áp dụng cho đơn vị GPV" in harness.request.last_sent(GROUP_ID)
    assert await harness.scalar("SELECT COUNT(*) FROM submissions") == 0


@pytest.mark.parametrize(
    ("file_name", "content", "expected"),
    [
        ("virus.exe", b"MZ", "Định dạng tệp này không được chấp nhận"),
        ("rong.pdf", b"", "Tệp rỗng (0 byte)"),
        (None, b"data", "Tệp không có tên"),
    ],
)
async def test_bad_files_are_refused(
    harness: Harness, file_name: str | None, content: bytes, expected: str
) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness, " | dinh_dang=pdf;docx")
    await harness.send_file(DUC_PVEP, file_name, content)
    text = harness.request.last_sent(GROUP_ID)
    assert expected in text
    assert "pdf, docx" in text
    assert await harness.scalar("SELECT COUNT(*) FROM submissions") == 0


async def test_large_file_is_kept_by_file_id(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness)
    await harness.send_file(DUC_PVEP, "ho_so.zip", b"PK", file_size=25 * 1024 * 1024)
    assert "lớn hơn 20 MB" in harness.request.last_sent(GROUP_ID)
    assert "25 MB" in harness.request.last_sent(GROUP_ID)
    assert not any(c.endpoint in ("getFile", "download") for c in harness.request.calls)
    assert await versions(harness) == [("PVEP", 1, "too_big", 0)]


async def test_failed_download_keeps_the_submission(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness)
    harness.request.fail("getFile", Failure(500, "Internal Server Error"))
    await harness.send_file(DUC_PVEP, "PVEP.pdf", PDF)
    assert "chưa tải được tệp" in harness.request.last_sent(GROUP_ID)
    assert await versions(harness) == [("PVEP", 1, "failed", 0)]
    assert await harness.scalar("SELECT file_id FROM submissions") is not None


async def test_crash_between_download_and_commit_records_nothing(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness)

    def crash(*args: object, **kwargs: object) -> bool:
        raise OSError("disk gone")

    # Fails at COMMIT, after the file was moved to its final name.
    monkeypatch.setattr("db.connection.write_and_commit", crash)
    await harness.send_file(DUC_PVEP, "PVEP.pdf", PDF)
    assert await harness.scalar("SELECT COUNT(*) FROM submissions") == 0
    folder = harness.settings.files_dir / "1" / "1"
    assert not folder.exists() or list(folder.iterdir()) == []
    assert list((harness.settings.files_dir / "tmp").iterdir()) == []
    monkeypatch.undo()
    await harness.send_file(DUC_PVEP, "PVEP.pdf", PDF)
    assert await versions(harness) == [("PVEP", 1, "stored", 0)]


async def test_replayed_document_gives_one_version_and_one_receipt(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness)
    update = await harness.send_file(DUC_PVEP, "PVEP.pdf", PDF)
    receipts = len(harness.request.texts(GROUP_ID))
    await harness.feed(update)
    assert len(harness.request.texts(GROUP_ID)) == receipts
    assert await versions(harness) == [("PVEP", 1, "stored", 0)]


async def test_closed_request_refuses_files_and_can_reopen(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    request_message = await open_request(harness)
    await harness.press(DUC_PVEP, "rq1:close:1")
    assert harness.request.answers()[-1]["show_alert"] is True
    await harness.press(ADMIN, "rq1:close:1")
    assert await harness.scalar("SELECT status FROM requests") == "closed"
    assert "🔒 Yêu cầu này đã đóng." in harness.request.last_text(GROUP_ID)
    await harness.send_file(DUC_PVEP, "PVEP.pdf", PDF, reply_to=request_message)
    assert "đã đóng, bot không nhận thêm" in harness.request.last_sent(GROUP_ID)
    await harness.press(ADMIN, "rq1:reopen:1")
    await harness.send_file(DUC_PVEP, "PVEP.pdf", PDF, reply_to=request_message)
    assert await versions(harness) == [("PVEP", 1, "stored", 0)]
    await harness.press(ADMIN, "rq1:cancel:1")
    assert await harness.scalar("SELECT status FROM requests") == "cancelled"
    assert await harness.scalar("SELECT COUNT(*) FROM submissions") == 1  # records are kept


async def test_review_accept_and_return_then_resubmit(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(DUC_PVEP, "/start", chat_id=DUC_PVEP.id)
    await open_request(harness)
    await harness.send_file(DUC_PVEP, "PVEP.pdf", PDF)
    await harness.send_file(TUAN_RVP, "RVP.pdf", PDF + b"rvp")
    pvep_sid, rvp_sid = 1, 2
    # Liaisons cannot review.
    await harness.press(TUAN_RVP, f"rv1:a:{rvp_sid}")
    assert harness.request.answers()[-1]["show_alert"] is True
    await harness.press(HA_VSP, f"rv1:a:{rvp_sid}")
    accepted = harness.request.sent(GROUP_ID)
    assert any(
        c.endpoint == "editMessageText"
        and "✅ Thường trực cụm đã tiếp nhận báo cáo của đơn vị RVP" in c.params["text"]
        for c in accepted
    )
    assert await harness.scalar("SELECT review FROM submissions WHERE id = 2") == "accepted"
    # Return PVEP with a comment, given as a reply to the bot's question.
    await harness.press(ADMIN, f"rv1:r:{pvep_sid}")
    prompt = harness.request.last_message_id(GROUP_ID)
    reply_to = {"message_id": prompt, "date": 0, "chat": {"id": GROUP_ID, "type": "supergroup"}}
    await harness.say(ADMIN, "Bổ sung số liệu quý IV và chữ ký của lãnh đạo", reply_to=reply_to)
    assert await harness.rows("SELECT review, review_comment FROM submissions WHERE id = 1") == [
        ("returned", "Bổ sung số liệu quý IV và chữ ký của lãnh đạo")
    ]
    told = "Thường trực cụm đề nghị đơn vị PVEP bổ sung, hoàn thiện báo cáo"
    assert any(told in t for t in harness.request.texts(GROUP_ID))
    assert told in harness.request.last_sent(DUC_PVEP.id)  # and privately
    request_text = next(
        c.params["text"]
        for c in reversed(harness.request.calls)
        if c.endpoint == "editMessageText" and "Yêu cầu báo cáo" in c.params["text"]
    )
    assert "Cần bổ sung, hoàn thiện: PVEP" in request_text
    await harness.send_file(DUC_PVEP, "PVEP_bosung.pdf", PDF + b"v2")
    assert await versions(harness) == [
        ("PVEP", 1, "stored", 0),
        ("RVP", 1, "stored", 0),
        ("PVEP", 2, "stored", 0),
    ]
    # Reviewing the superseded version is refused.
    await harness.press(ADMIN, f"rv1:a:{pvep_sid}")
    assert "bản mới hơn" in harness.request.answers()[-1]["text"]


async def test_deadline_change_tells_the_units(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(LAN_GPV, "/start", chat_id=LAN_GPV.id)
    await open_request(harness)
    await harness.press(ADMIN, "rq1:deadline:1")
    prompt = harness.request.last_message_id(GROUP_ID)
    reply_to = {"message_id": prompt, "date": 0, "chat": {"id": GROUP_ID, "type": "supergroup"}}
    await harness.say(ADMIN, "17h 18/11/2022", reply_to=reply_to)
    assert await harness.scalar("SELECT deadline_at FROM requests") == "2022-11-18T10:00:00+00:00"
    announcement = [t for t in harness.request.texts(GROUP_ID) if t.startswith("⏰")][-1]
    assert "được điều chỉnh thành 17:00 thứ Sáu, 18/11/2022" in announcement
    assert f"tg://user?id={LAN_GPV.id}" in announcement
    # Lan reads Telegram in English: her private copy is in English.
    assert harness.request.last_sent(LAN_GPV.id) == (
        f"⏰ The deadline of “{TITLE}” is now 17:00 Friday, 18/11/2022."
    )


async def test_secretariat_receives_the_latest_files_privately(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(ADMIN, "/start", chat_id=ADMIN.id)
    await open_request(harness)
    await harness.send_file(DUC_PVEP, "PVEP.pdf", PDF)
    await harness.send_file(DUC_PVEP, "PVEP2.pdf", PDF + b"2")
    harness.request.clear()
    await harness.press(ADMIN, "rq1:files:1")
    summary = harness.request.texts(ADMIN.id)[0]
    assert "VSP: chưa nộp" in summary
    assert "PVEP: bản 2" in summary
    documents = [c for c in harness.request.calls if c.endpoint == "sendDocument"]
    assert len(documents) == 1
    assert documents[0].params["caption"] == "PVEP – v2"


async def test_guided_request_dialogue_with_quick_deadline(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(ADMIN, "/yeucau")
    prompt = harness.request.last_message_id(GROUP_ID)
    reply_to = {"message_id": prompt, "date": 0, "chat": {"id": GROUP_ID, "type": "supergroup"}}
    await harness.say(ADMIN, "Báo cáo nhanh tình hình quý IV", reply_to=reply_to)
    buttons = dict(markup_buttons(harness.request.sent(GROUP_ID)[-1]))
    assert set(buttons) == {"Cuối ngày mai", "+3 ngày", "+1 tuần"}
    await harness.press(OUTSIDER, buttons["+3 ngày"])  # not their dialogue: nothing happens
    await harness.press(ADMIN, buttons["+3 ngày"])
    confirm = harness.request.sent(GROUP_ID)[-1]
    assert "17:00 Chủ nhật, 23/10/2022" in confirm.params["text"]
    await harness.press(ADMIN, dict(markup_buttons(confirm))["Mở yêu cầu"])
    assert await harness.rows("SELECT title, deadline_at FROM requests") == [
        ("Báo cáo nhanh tình hình quý IV", "2022-10-23T10:00:00+00:00")
    ]


async def test_forged_payload_for_another_clusters_request(harness: Harness) -> None:
    from tests.updates import OTHER_GROUP_ID

    await seed_with_liaisons(harness)
    await open_request(harness)
    await harness.send_file(DUC_PVEP, "PVEP.pdf", PDF)
    harness.request.admins[OTHER_GROUP_ID] = [OUTSIDER.id]
    await harness.say(OUTSIDER, "/setup Cụm thi đua số 2 | 2022", chat_id=OTHER_GROUP_ID)
    for payload in ("rq1:close:1", "rv1:a:1", "rv1:r:1", "rq1:files:1", "cf1:c:1"):
        await harness.press(OUTSIDER, payload, chat_id=OTHER_GROUP_ID)
        assert harness.request.answers()[-1]["show_alert"] is True, payload
    assert await harness.scalar("SELECT status FROM requests") == "open"
    assert await harness.scalar("SELECT review FROM submissions") == "pending"
    assert await harness.scalar("SELECT COUNT(*) FROM dialogues") == 0
    assert not any(c.endpoint == "sendDocument" for c in harness.request.calls)


async def test_guided_dialogue_takes_a_whole_command_and_can_be_cancelled(
    harness: Harness,
) -> None:
    await seed_with_liaisons(harness)
    await harness.say(ADMIN, "/xacnhan")
    prompt = harness.request.last_message_id(GROUP_ID)
    reply_to = {"message_id": prompt, "date": 0, "chat": {"id": GROUP_ID, "type": "supergroup"}}
    await harness.say(ADMIN, "Kế hoạch hoạt động năm 2023 | 17:00 30/10/2022", reply_to=reply_to)
    assert await harness.rows("SELECT kind, title FROM requests") == [
        ("confirmation", "Kế hoạch hoạt động năm 2023")
    ]
    await harness.say(ADMIN, "/yeucau")
    await harness.say(ADMIN, "/huy")
    assert harness.request.last_sent(GROUP_ID) == "Đã hủy."
    assert await harness.scalar("SELECT COUNT(*) FROM dialogues") == 0


async def test_secretariat_documents_in_the_group_are_not_taken_as_reports(
    harness: Harness,
) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness)
    await harness.say(ADMIN, f"/xacnhan {TITLE} – dự thảo | 17:00 20/11/2022")
    confirmation = harness.request.last_message_id(GROUP_ID)
    sent = len(harness.request.sent(GROUP_ID))
    # The lead's liaison posts the draft to attach it to a confirmation: not VSP's report.
    await harness.send_file(HA_VSP, "Du thao tong hop.docx", b"PK\x03\x04 draft")
    # A liaison replying to the confirmation with a file is not submitting a report either.
    await harness.send_file(DUC_PVEP, "Gop y.docx", b"PK\x03\x04 y kien", reply_to=confirmation)
    assert len(harness.request.sent(GROUP_ID)) == sent
    assert await harness.scalar("SELECT COUNT(*) FROM submissions") == 0
    # Replying to the request message, the lead's liaison does submit VSP's report.
    request_message = await harness.scalar("SELECT message_id FROM requests WHERE id = 1")
    await harness.send_file(HA_VSP, "VSP.pdf", PDF, reply_to=request_message)
    assert await versions(harness) == [("VSP", 1, "stored", 0)]


async def test_lateness_counts_from_when_the_file_was_sent(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness)
    deadline = harness.clock.at.replace(month=11, day=15, hour=10, minute=0)  # 17:00 VN
    # Sent at 16:59, handled at 17:05 (the bot was restarting): on time.
    harness.clock.at = deadline - timedelta(minutes=1)
    update = harness.updates.document(DUC_PVEP, "PVEP.pdf", PDF)
    harness.request.files[update["message"]["document"]["file_id"]] = PDF
    harness.clock.at = deadline + timedelta(minutes=5)
    await harness.feed(update)
    assert "(đúng hạn)" in harness.request.last_sent(GROUP_ID)
    assert await versions(harness) == [("PVEP", 1, "stored", 0)]


async def test_refusal_after_picking_a_request_reaches_the_sender(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness, " | dinh_dang=pdf")
    await harness.say(ADMIN, "/request Bảng số liệu thi đua năm 2022 | 17:00 20/11/2022")
    await harness.send_file(DUC_PVEP, "So lieu.xlsx", b"PK\x03\x04 xlsx", chat_id=DUC_PVEP.id)
    buttons = dict(markup_buttons(harness.request.sent(DUC_PVEP.id)[-1]))
    harness.request.clear()
    await harness.press(DUC_PVEP, buttons[TITLE], chat_id=DUC_PVEP.id)
    answers = harness.request.answers()
    assert len(answers) == 1
    assert answers[0]["show_alert"] is True
    assert "pdf" in answers[0]["text"]
    assert await harness.scalar("SELECT COUNT(*) FROM pending_documents") == 1
    # The right request takes it, once, even if the button is pressed twice.
    other = buttons["Bảng số liệu thi đua năm 2022"]
    await harness.press(DUC_PVEP, other, chat_id=DUC_PVEP.id)
    await harness.press(DUC_PVEP, other, chat_id=DUC_PVEP.id)
    assert await harness.rows("SELECT request_id, version FROM submissions") == [(2, 1)]
    assert harness.request.answers()[-1]["show_alert"] is True


async def test_a_file_that_fits_no_open_request_is_refused_before_asking(
    harness: Harness,
) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness, " | dinh_dang=pdf")
    await harness.say(ADMIN, "/request Báo cáo bổ sung | 17:00 20/11/2022 | dinh_dang=docx")
    await harness.send_file(DUC_PVEP, "anh.png", b"\x89PNG", chat_id=DUC_PVEP.id)
    assert "không được chấp nhận" in harness.request.last_sent(DUC_PVEP.id)
    assert await harness.scalar("SELECT COUNT(*) FROM pending_documents") == 0


async def test_accepting_twice_tells_nobody_twice(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await open_request(harness)
    await harness.send_file(DUC_PVEP, "PVEP.pdf", PDF)
    await harness.press(ADMIN, "rv1:a:1")
    receipt_edit = [c for c in harness.request.sent(GROUP_ID) if c.endpoint == "editMessageText"]
    assert any(
        "— bản 1," in c.params["text"] and "đã tiếp nhận" in c.params["text"] for c in receipt_edit
    )
    sent = len(harness.request.sent())
    await harness.press(ADMIN, "rv1:a:1")
    assert harness.request.answers()[-1]["text"] == "Bản này đã được tiếp nhận trước đó."
    assert len(harness.request.sent()) == sent


async def test_sending_files_goes_on_after_one_fails(harness: Harness) -> None:
    await seed_with_liaisons(harness)
    await harness.say(ADMIN, "/start", chat_id=ADMIN.id)
    await open_request(harness)
    await harness.send_file(DUC_PVEP, "PVEP.pdf", PDF)
    await harness.send_file(TUAN_RVP, "RVP.pdf", PDF + b"r")
    harness.request.fail("sendDocument", Failure(400, "Bad Request: wrong file identifier"))
    await harness.press(ADMIN, "rq1:files:1")
    documents = [c for c in harness.request.calls if c.endpoint == "sendDocument"]
    assert len(documents) == 2
    assert "PVEP: chưa gửi được tệp" in " ".join(harness.request.texts(ADMIN.id))


async def test_request_whose_message_failed_is_posted_later(harness: Harness) -> None:
    from handlers.common import job_post_missing

    await seed_with_liaisons(harness)
    harness.request.fail("sendMessage", Failure(500, "Internal Server Error", times=2))
    await harness.say(ADMIN, f"/request {TITLE} | 17:00 15/11/2022")
    assert await harness.scalar("SELECT message_id FROM requests") is None
    # Within a minute the job leaves it: the handler that created it may still be posting.
    await job_post_missing(harness.job_context())
    assert await harness.scalar("SELECT message_id FROM requests") is None
    harness.clock.at += timedelta(minutes=2)
    await job_post_missing(harness.job_context())
    await harness.deps.live.flush()
    message_id = await harness.scalar("SELECT message_id FROM requests")
    assert message_id is not None
    assert "Yêu cầu báo cáo" in harness.request.last_sent(GROUP_ID)
    # Replying to it now submits to it.
    await harness.send_file(DUC_PVEP, "PVEP.pdf", PDF, reply_to=message_id)
    assert await versions(harness) == [("PVEP", 1, "stored", 0)]


async def test_files_from_telegram_and_from_a_local_server_are_stored_alike(
    harness: Harness,
) -> None:
    # From Telegram's servers a file is written and hashed from memory; from a local Bot
    # API server it is copied to disk and hashed from there: the same bytes, the same digest.
    await seed_with_liaisons(harness)
    await open_request(harness)
    large = PDF + bytes(range(256)) * 4096
    await harness.send_file(DUC_PVEP, "PVEP.pdf", PDF)
    harness.deps.settings = replace(harness.deps.settings, base_url="http://127.0.0.1:8081/bot")
    assert harness.deps.settings.local_api
    await harness.send_file(TUAN_RVP, "RVP.pdf", large)
    rows = await harness.rows("SELECT file_size, sha256 FROM submissions ORDER BY id")
    assert rows == [
        (len(PDF), hashlib.sha256(PDF).hexdigest()),
        (len(large), hashlib.sha256(large).hexdigest()),
    ]
    stored = sorted(harness.deps.settings.files_dir.glob("*/*/*.pdf"))
    assert sorted(p.read_bytes() for p in stored) == sorted([PDF, large])
    assert list((harness.deps.settings.files_dir / "tmp").glob("*")) == []
