"""models.store.calendar_store: parsing a holiday-notice CSV and keeping it in a migrated database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from models.domain.calendar import DayOverride
from models.errors import InputError, ValidationFailed
from models.store import db
from models.store.calendar_store import calendar_from_db, parse_calendar_csv, save_overrides
from models.store.tables import CalendarDay, Event

D = date.fromisoformat
T1 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
T2 = T1 + timedelta(days=3)

VALID_2027 = """日期,类型,名称
2027-01-01,休,元旦
2027-02-06,班,春节
2027-02-08,休,春节
2027-02-09,休,春节
"""

EXPECTED_2027 = [
    DayOverride(D("2027-01-01"), False, "元旦"),
    DayOverride(D("2027-02-06"), True, "春节"),
    DayOverride(D("2027-02-08"), False, "春节"),
    DayOverride(D("2027-02-09"), False, "春节"),
]


@pytest.fixture
def write(tmp_path):
    def write(text: str, name: str = "2027.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write


def _never_uncovered(year: int) -> None:
    raise AssertionError(f"on_uncovered_year({year}) called for a loaded year")


def load(engine, path) -> tuple[int, int]:
    """What ``duban calendar load`` does: parse the whole file, then save in one transaction."""
    overrides = parse_calendar_csv(path)
    with db.session_scope(engine) as session:
        return save_overrides(session, overrides, actor="test", now=T1)


def stored(engine) -> list[tuple[date, bool, str]]:
    with db.session_scope(engine) as session:
        rows = session.exec(select(CalendarDay).order_by(CalendarDay.day))
        return [(r.day, r.workday, r.name) for r in rows]


def calendar_events(engine) -> list[Event]:
    with db.session_scope(engine) as session:
        return list(session.exec(select(Event).where(Event.entity == "calendar").order_by(Event.id)))


# --- parse_calendar_csv: encodings and headers -------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_parse_valid_file_in_each_encoding(write, encoding):
    path = write(VALID_2027, encoding=encoding)
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")
    assert parse_calendar_csv(path) == EXPECTED_2027


def test_parse_gb18030_with_windows_line_endings(write):
    path = write(VALID_2027.replace("\n", "\r\n"), encoding="gb18030")
    assert parse_calendar_csv(path) == EXPECTED_2027


def test_headers_and_cells_with_full_width_and_ordinary_spaces(write):
    text = ("\u3000日期 ,类\u3000型,\u3000名称\u3000\n"
            " 2027-01-01 ,\u3000休, 元旦\u3000\n"
            "\n"
            ",,\n"
            "2027-02-06,班,春节\n")
    assert parse_calendar_csv(write(text)) == [
        DayOverride(D("2027-01-01"), False, "元旦"),
        DayOverride(D("2027-02-06"), True, "春节"),
    ]


def test_columns_may_come_in_any_order_with_extra_columns(write):
    text = "名称,备注,类型,日期\n元旦,周五,休,2027-01-01\n春节,,班,2027-02-06\n"
    assert parse_calendar_csv(write(text)) == [
        DayOverride(D("2027-01-01"), False, "元旦"),
        DayOverride(D("2027-02-06"), True, "春节"),
    ]


def test_slashes_in_zero_padded_dates_are_accepted(write):
    assert parse_calendar_csv(write("日期,类型,名称\n2027/01/01,休,元旦\n")) == [
        DayOverride(D("2027-01-01"), False, "元旦"),
    ]


def test_excel_style_unpadded_dates_are_accepted(write):
    assert parse_calendar_csv(write("日期,类型,名称\n2027/1/1,休,元旦\n2027/2/6,班,春节\n")) == [
        DayOverride(D("2027-01-01"), False, "元旦"),
        DayOverride(D("2027-02-06"), True, "春节"),
    ]


# --- parse_calendar_csv: refusals ----------------------------------------------------------


def test_every_bad_row_is_listed_with_its_row_and_column(write):
    text = ("日期,类型,名称\n"
            "2027-01-01,休,元旦\n"        # row 2: fine
            "2027-02-30,休,春节\n"        # row 3: no such date
            "2027-02-06,上班,春节\n"      # row 4: type neither 休 nor 班
            "2027-02-08,休,\n"            # row 5: empty name
            "2027-01-01,休,元旦\n"        # row 6: duplicate of row 2
            "tomorrow,放,\n"              # row 7: three problems at once
            "2027-02-09,休," + "节" * 51 + "\n")  # row 8: name over 50 characters
    with pytest.raises(ValidationFailed) as info:
        parse_calendar_csv(write(text))
    got = [(p.where, p.field, p.value) for p in info.value.problems]
    assert got == [
        ("2027.csv 第3行", "日期", "2027-02-30"),
        ("2027.csv 第4行", "类型", "上班"),
        ("2027.csv 第5行", "名称", ""),
        ("2027.csv 第6行", "日期", "2027-01-01"),
        ("2027.csv 第7行", "日期", "tomorrow"),
        ("2027.csv 第7行", "类型", "放"),
        ("2027.csv 第7行", "名称", ""),
        ("2027.csv 第8行", "名称", "节" * 51),
    ]
    message = str(info.value)
    assert "2027.csv 有 8 处错误，未写入任何数据" in message
    for where, field, value in got:
        assert f"{where} {field} “{value}”" in message
    assert "重复" in message
    assert "应为 休 或 班" in message


def test_row_numbers_count_blank_lines(write):
    with pytest.raises(ValidationFailed) as info:
        parse_calendar_csv(write("日期,类型,名称\n\n2027-01-01,休,元旦\n\n2027-13-01,休,元旦\n"))
    assert [(p.where, p.field) for p in info.value.problems] == [("2027.csv 第5行", "日期")]


def test_a_name_of_exactly_50_characters_is_accepted(write):
    name = "节" * 50
    assert parse_calendar_csv(write(f"日期,类型,名称\n2027-01-01,休,{name}\n")) == [
        DayOverride(D("2027-01-01"), False, name),
    ]


def test_duplicate_of_a_bad_row_is_still_reported(write):
    text = "日期,类型,名称\n2027-01-01,放,元旦\n2027-01-01,休,元旦\n"
    with pytest.raises(ValidationFailed) as info:
        parse_calendar_csv(write(text))
    assert [(p.where, p.field) for p in info.value.problems] == [
        ("2027.csv 第2行", "类型"), ("2027.csv 第3行", "日期"),
    ]


@pytest.mark.parametrize(("header", "missing"), [
    ("日期,类型", "名称"),
    ("date,kind,name", "日期、类型、名称"),
    ("日期,种类,名称", "类型"),
])
def test_missing_column_header(write, header, missing):
    with pytest.raises(InputError) as info:
        parse_calendar_csv(write(f"{header}\n2027-01-01,休,元旦\n"))
    assert not isinstance(info.value, ValidationFailed)
    assert f"缺少列：{missing}" in str(info.value)


def test_empty_file(write):
    with pytest.raises(InputError) as info:
        parse_calendar_csv(write(""))
    assert "缺少列：日期、类型、名称" in str(info.value)


def test_header_without_rows(write):
    with pytest.raises(InputError) as info:
        parse_calendar_csv(write("日期,类型,名称\n\n"))
    assert "没有任何数据行" in str(info.value)


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(InputError) as info:
        parse_calendar_csv(path)
    assert str(path) in str(info.value)
    assert "不存在" in str(info.value)


def test_binary_file_is_refused_naming_the_encodings(write):
    path = write("")
    path.write_bytes(b"\xff\xfe\x00\x81\x00")
    with pytest.raises(InputError) as info:
        parse_calendar_csv(path)
    assert "UTF-8" in str(info.value) and "GB18030" in str(info.value)


# --- the database ------------------------------------------------------------------------


def test_saved_overrides_drive_the_calendar(engine, write):
    assert load(engine, write(VALID_2027)) == (4, 0)
    assert stored(engine) == [(o.day, o.workday, o.name) for o in EXPECTED_2027]
    with db.session_scope(engine) as session:
        cal = calendar_from_db(session, on_uncovered_year=_never_uncovered)
    assert cal.is_covered(2027)
    assert cal.is_workday(D("2027-01-01")) is False   # a Friday off
    assert cal.is_workday(D("2027-02-06")) is True    # a Saturday worked
    assert cal.is_workday(D("2027-02-09")) is False
    assert cal.is_workday(D("2027-02-10")) is True
    assert cal.day_name(D("2027-02-06")) == "春节"
    assert cal.add_workdays(D("2027-02-05"), 2) == D("2027-02-10")
    assert cal.is_workday(D("2026-10-10")) is True    # package years are unaffected


def test_calendar_from_an_empty_database_reports_uncovered_years(session):
    calls: list[int] = []
    cal = calendar_from_db(session, on_uncovered_year=calls.append)
    assert not cal.is_covered(2027)
    assert cal.is_workday(D("2027-01-01")) is True
    assert calls == [2027]


def test_loading_the_same_file_twice_changes_nothing(engine, write):
    path = write(VALID_2027)
    assert load(engine, path) == (4, 0)
    with db.session_scope(engine) as session:
        assert save_overrides(session, parse_calendar_csv(path), actor="test", now=T2) == (0, 0)
    with db.session_scope(engine) as session:
        loaded_at = {r.loaded_at for r in session.exec(select(CalendarDay))}
    assert loaded_at == {T1}
    assert stored(engine) == [(o.day, o.workday, o.name) for o in EXPECTED_2027]


def test_reloading_updates_changed_days_and_keeps_the_rest(engine, write):
    load(engine, write(VALID_2027))
    revised = ("日期,类型,名称\n"
               "2027-01-01,休,元旦\n"       # unchanged
               "2027-02-06,休,春节\n"       # type changed
               "2027-02-08,休,春节假期\n"   # name changed
               "2027-02-10,休,春节\n")      # new
    overrides = parse_calendar_csv(write(revised, name="2027-revised.csv"))
    with db.session_scope(engine) as session:
        assert save_overrides(session, overrides, actor="admin", now=T2) == (1, 2)
    with db.session_scope(engine) as session:
        rows = {r.day: r for r in session.exec(select(CalendarDay))}
    assert {d: (r.workday, r.name, r.loaded_at) for d, r in rows.items()} == {
        D("2027-01-01"): (False, "元旦", T1),
        D("2027-02-06"): (False, "春节", T2),
        D("2027-02-08"): (False, "春节假期", T2),
        D("2027-02-09"): (False, "春节", T1),    # not in the new file: kept
        D("2027-02-10"): (False, "春节", T2),
    }


def test_each_load_is_recorded_in_the_event_log(engine, write):
    load(engine, write(VALID_2027))
    text = "日期,类型,名称\n2027-12-31,休,元旦\n2028-01-01,休,元旦\n"
    with db.session_scope(engine) as session:
        save_overrides(session, parse_calendar_csv(write(text, name="b.csv")), actor="admin", now=T2)
    events = calendar_events(engine)
    assert [(e.action, e.actor, e.at, e.entity_id, e.after) for e in events] == [
        ("load", "test", T1, 2027, {"years": [2027], "added": 4, "changed": 0}),
        ("load", "admin", T2, 2027, {"years": [2027, 2028], "added": 2, "changed": 0}),
    ]


def test_a_failed_load_writes_nothing(engine, write):
    load(engine, write(VALID_2027))
    before = stored(engine)
    broken = ("日期,类型,名称\n"
              "2027-02-06,休,春节\n"        # would change a stored day
              "2027-03-01,休,新节日\n"      # would add one
              "2027-02-30,休,春节\n")       # but this row is bad
    with pytest.raises(ValidationFailed):
        load(engine, write(broken, name="broken.csv"))
    assert stored(engine) == before
    assert len(calendar_events(engine)) == 1


def test_a_failed_first_load_leaves_the_table_empty(engine, write):
    with pytest.raises(ValidationFailed):
        load(engine, write("日期,类型,名称\n2027-01-01,休,元旦\n2027-01-02,X,元旦\n"))
    assert stored(engine) == []
    assert calendar_events(engine) == []


def test_loaded_years_count_each_years_days_and_last_load(session):
    from models.store.calendar_store import LoadedYear, loaded_years, year_is_covered

    first = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    save_overrides(session, [DayOverride(date(2027, 1, 1), False, "元旦"),
                             DayOverride(date(2027, 2, 6), True, "春节")], actor="t", now=first)
    later = first + timedelta(days=3)
    save_overrides(session, [DayOverride(date(2028, 1, 1), False, "元旦")], actor="t", now=later)
    session.flush()
    assert loaded_years(session) == [LoadedYear(2027, 1, 1, first), LoadedYear(2028, 1, 0, later)]
    assert year_is_covered(session, 2027) and not year_is_covered(session, 2029)
