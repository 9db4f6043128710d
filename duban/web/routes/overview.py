"""/ and /overview (总览): counts by light, the units' table, the 考核 ranking, this week's mail."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse

from duban.web.charts import bars, stacked
from duban.web.context import OFFICE, Viewer, allow, web
from duban.web.render import page
from models.domain.enums import Light
from models.reports.overview import Grades, overview, week_mail

router = APIRouter()


@router.get("/")
def home(viewer: Viewer = Depends(allow())):
    return RedirectResponse("/mine" if viewer.is_unit else "/overview", status_code=303)


@router.get("/overview")
def overview_page(request: Request, viewer: Viewer = Depends(allow(*OFFICE))):
    state = web(request)
    grades = Grades(*state.settings.rank_grades_values)
    with state.reading() as session:
        clock = state.clock_for(session)
        totals = state.unit_totals(session, clock)
        data = overview(session, clock, totals=totals, grades=grades, rules=state.settings.loop_rules)
        mail = week_mail(session, clock)
    lights = data.lights
    light_bar = stacked([(lt.value, lights[lt.value], css) for lt, css in
                         ((Light.RED, "red"), (Light.YELLOW, "yellow"), (Light.GREEN, "green"),
                          (Light.DONE, "grey"))])
    worst = [u for u in data.units if u.red][:10]
    overdue_bars = bars([(u.unit, u.red, str(u.red), "red") for u in worst])
    ranking = data.ranking
    rate_bars = bars([(f"{r.rank}. {r.unit}", (r.rate or 0) * 100, f"{(r.rate or 0) * 100:.1f}%",
                       "green" if (r.rate or 0) * 100 >= grades.good else "yellow"
                       if (r.rate or 0) * 100 >= grades.fair else "red")
                      for r in ranking[:15]], scale=100)
    return page(request, viewer, "overview.html", data=data, ranking=ranking, grades=grades,
                light_bar=light_bar, overdue_bars=overdue_bars, rate_bars=rate_bars, mail=mail,
                now=clock.now)
