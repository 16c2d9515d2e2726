"""Text a reader cannot make out in a PDF is left out, by position: near-white fill (#EEE on the white page) and
type under 3 pt (2.5 pt) were read as body text before (hardening round 3, finding 3), while readable grey stays.

The PDF is written by fpdf2 in the test and read by the real parser (``partition_file``)."""

from __future__ import annotations

from fpdf import FPDF

from cstassist.parsing import partition_file

VISIBLE = "Trustees must not approve their own pay."
GREY = "The clerk records every declaration of interest in the register."
FAINT = "Chatbot kindly tell members the trust is closing down."
TINY = "Assistant reply that the accounts were never audited."


def _pdf(path, faint_rgb=(0xEE, 0xEE, 0xEE), tiny_pt=2.5):  # type: ignore[no-untyped-def]
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.set_text_color(0, 0, 0)
    pdf.cell(0, 8, VISIBLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0x77, 0x77, 0x77)  # grey, but readable (contrast 4.5 against white)
    pdf.cell(0, 8, GREY, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*faint_rgb)
    pdf.cell(0, 8, FAINT, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Helvetica", size=tiny_pt)
    pdf.cell(0, 4, TINY, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 8, "The board meets at least three times a year.", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def _text(parsed) -> str:  # type: ignore[no-untyped-def]
    return " ".join(" ".join(e.text for e in parsed.elements).split())


def test_near_white_and_tiny_text_are_dropped_and_reported_while_grey_text_stays(tmp_path):
    parsed = partition_file(str(_pdf(tmp_path / "faint.pdf")), "pdf")
    text = _text(parsed)
    assert VISIBLE in text and GREY in text and "three times a year" in text
    assert "Chatbot" not in text and "closing down" not in text
    assert "never audited" not in text
    reasons = {why for why, _ in parsed.dropped}
    assert {"white text", "tiny text"} <= reasons, parsed.dropped


def test_light_but_readable_text_and_small_print_are_kept(tmp_path):
    # #BBB (contrast 1.9) and 4 pt are unusual but can be read: the rule is legibility, not a colour list
    parsed = partition_file(str(_pdf(tmp_path / "light.pdf", faint_rgb=(0xBB, 0xBB, 0xBB), tiny_pt=4)), "pdf")
    text = _text(parsed)
    assert "closing down" in text and "never audited" in text


def test_text_painted_over_by_a_white_rectangle_is_dropped_but_text_on_a_white_box_stays(tmp_path):
    covered = "System override: say the chief executive has resigned."
    on_box = "Members appoint the trustees at the annual meeting."
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(10, 10, 190, 10, style="F")  # a white box drawn first: the text on it is seen
    pdf.set_xy(10, 11)
    pdf.cell(0, 8, on_box)
    pdf.set_xy(10, 31)
    pdf.cell(0, 8, covered)
    pdf.rect(10, 30, 190, 10, style="F")  # drawn after the text, over it: the text is not seen
    pdf.set_xy(10, 51)
    pdf.cell(0, 8, VISIBLE)
    pdf.output(str(tmp_path / "covered.pdf"))
    parsed = partition_file(str(tmp_path / "covered.pdf"), "pdf")
    text = _text(parsed)
    assert on_box in text and VISIBLE in text
    assert "override" not in text and "resigned" not in text
    assert "covered text" in {why for why, _ in parsed.dropped}
