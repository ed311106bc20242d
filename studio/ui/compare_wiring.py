"""The reproduce and compare controls' events: which control calls which action (compare_handlers.py), under which
API name. `/reproduce` runs a model (the GPU queue); `/compare` reads the store only."""
from __future__ import annotations

from studio.ui import compare_handlers as act

COMPARED = ["compare_slider", "compare_left", "compare_right", "compare_table", "status"]


def connect_compare(p, on, gpu: dict, quiet: dict) -> None:
    chosen = [p.session_id, p.shown_round, p.candidate]
    on(p.reproduce.click, ["session_id", "round", "candidate"], act.reproduce, chosen,
       ["reproduction", "reproduced", "reproduce_original", "reproduce_report", "status"], api_name="reproduce", **gpu)
    pickers = [p.compare_first, p.compare_second]
    for trigger, name in ((p.compare_button.click, "compare"), (p.compare_first.submit, None),
                          (p.compare_second.submit, None)):
        on(trigger, ["session_id", "first", "second"], act.compare, [p.session_id, *pickers], COMPARED,
           api_name=name, **quiet)
    on(p.compare_with.click, ["session_id", "round", "candidate", "first", "second"], act.compare_with,
       [*chosen, *pickers], ["compare_first", "compare_second", *COMPARED], **quiet)
    on(p.compare_view.change, ["view"], act.compare_view, [p.compare_view], ["compare_slider", "compare_sides"],
       **quiet)
    # Another session opened (or a new one): what was reproduced and compared belongs to the one before. Cleared in
    # the browser, with no call to the server.
    cleared = [p.reproduced, p.reproduce_original, p.reproduce_report, *pickers, p.compare_slider, p.compare_left,
               p.compare_right, p.compare_table]
    p.session_id.change(None, None, cleared, js="() => [null, null, '', '', '', null, null, null, '']")
