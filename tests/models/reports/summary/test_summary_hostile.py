"""No stored text can break the year-end report (issue 16): text stored before input refused
XML-illegal characters is written as its escape, and the .docx stays a valid document."""

from __future__ import annotations

import zipfile
from xml.parsers import expat

from docx import Document
from sqlalchemy import update

from models.domain.periods import parse_period
from models.reports.summary.report import ReportSettings, write_report
from models.store import db
from models.store.tables import Unit
from tests.support.summary_year import AS_OF, SHANGHAI, generate


def test_stored_text_xml_cannot_carry_does_not_break_the_report(migrated_sqlite_url, tmp_path):
    engine = db.make_engine(migrated_sqlite_url)
    generate(engine, items=60, activities=20, units=3, outbox=5)
    with db.session_scope(engine) as session:  # behind the checks' back, as an old database may
        session.execute(update(Unit).values(name=Unit.name + "\ufffe"))
    path = tmp_path / "2026年度报告.docx"

    write_report(engine, path, parse_period("2026"), as_of=AS_OF,
                 settings=ReportSettings(tz=SHANGHAI, bureau="区退役军人事务局"))

    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            if name.endswith(".xml"):
                expat.ParserCreate().Parse(package.read(name), True)
    text = "\n".join(p.text for p in Document(str(path)).paragraphs)
    assert "\ufffe" not in text
    engine.dispose()
