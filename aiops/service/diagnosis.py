"""One incident of `aiops serve`, diagnosed from the live sources: the most severe firing
alert of the group becomes the incident (title, labels, start), the window lies around its
start (serve.window, else sources.default_window), and the run is recorded in the history
and the incident memory like any `aiops diagnose`."""

from __future__ import annotations

from typing import Callable

from aiops.config import Settings
from aiops.service.messages import Outcome
from aiops.service.scheduler import ServeIncident, alert_brief


def live_diagnoser(settings: Settings) -> Callable[[ServeIncident], Outcome]:
    from aiops.agent.session import Session
    from aiops.history import recorder_for
    from aiops.memory.store import IncidentMemory

    session = Session(settings, record=recorder_for(settings), memory=IncidentMemory.from_settings(settings))

    def diagnose(inc: ServeIncident) -> Outcome:
        from aiops.agent.events import Answer
        from aiops.agent.live import LiveRequest, plan_live
        from aiops.telemetry.alerts import pick_alert
        from aiops.telemetry.store import TelemetryStore

        alerts = list(inc.alerts.values())
        chosen = pick_alert(alerts)
        briefs = [alert_brief(a) for a in alerts]
        if chosen is None:
            return Outcome(inc.id, "incident", briefs, error="no firing alert left", alert_count=inc.alert_count)
        plan = plan_live(settings, LiveRequest(live=True, window=settings.serve.window or None), alert=chosen)
        others = inc.alert_count - 1
        plan.target.notes.append(f"alert {chosen.name} from an Alertmanager webhook (incident {inc.id}"
                                 + (f", {others} more alert(s) in the group)" if others else ")"))
        store = TelemetryStore()
        diagnosis = None
        try:
            for event in session.diagnose_live(plan, store):
                if isinstance(event, Answer):
                    diagnosis = event.diagnosis
        finally:
            store.close()
        if diagnosis is None:
            return Outcome(inc.id, chosen.title, briefs, error="the diagnosis ended without an answer",
                           alert_count=inc.alert_count)
        return Outcome(inc.id, chosen.title, briefs, diagnosis=diagnosis, alert_count=inc.alert_count)

    return diagnose
