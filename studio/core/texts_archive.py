"""The words of export, import and the client report, in English and Chinese. Data only: studio/core/texts.py joins
the engine's to the rest; services/report.py reads the report's."""
from __future__ import annotations

ARCHIVE_FIELDS = {
    "archive": ("The file to import", "要导入的文件"),
    "branch_only": ("This branch only", "仅此分支"),
}

ARCHIVE = {
    "archive.lang": ("A report is written in {languages}, not {value}.", "报告只能用 {languages} 撰写，而不是 {value}。"),
    "archive.file": ("Choose the file to import: a ZIP the studio exported, or its session.json.",
                     "请选择要导入的文件：工作室导出的 ZIP，或其中的 session.json。"),
    "archive.too_big": ("The file is larger than {mb} MB, the most an import may be: export a branch instead of the "
                        "whole session.", "文件超过 {mb} MB（导入上限）：请只导出一个分支，而不是整个会话。"),
    "archive.not_zip": ("This is neither a ZIP the studio exported nor a session.json: choose the file \"Export ZIP\" "
                        "gave you.", "这既不是工作室导出的 ZIP，也不是 session.json：请选择“导出 ZIP”得到的文件。"),
    "archive.member": ("The ZIP holds {name}, which an exported session never does (only session.json, report.html "
                       "and images/<session>/<name>.png): nothing was imported.",
                       "ZIP 中有 {name}，导出的会话不会有它（只有 session.json、report.html 和 images/<会话>/<名>.png）：未导入任何内容。"),
    "archive.too_many": ("The ZIP holds {count} files, more than the {limit} an import may: nothing was imported.",
                         "ZIP 中有 {count} 个文件，超过导入上限 {limit}：未导入任何内容。"),
    "archive.bomb": ("{name} in the ZIP unpacks to more than its limit (a file {mb} MB at most, {ratio}x its packed "
                     "size at most, {total_mb} MB in all): nothing was imported.",
                     "ZIP 中的 {name} 解压后超过上限（单个文件最多 {mb} MB、最多为压缩大小的 {ratio} 倍、总共最多 {total_mb} MB）：未导入任何内容。"),
    "archive.no_session": ("The ZIP has no session.json: choose the file \"Export ZIP\" gave you.",
                           "ZIP 中没有 session.json：请选择“导出 ZIP”得到的文件。"),
    "archive.not_json": ("session.json is not a session this studio exported ({problem}): nothing was imported.",
                         "session.json 不是本工作室导出的会话（{problem}）：未导入任何内容。"),
    "archive.newer": ("This session was exported by a newer studio (format {version}, this one reads up to "
                      "{known}): upgrade the studio, then import it again.",
                      "这个会话由更新版本的工作室导出（格式 {version}，本工作室最多读到 {known}）：请升级工作室后再导入。"),
    "archive.field": ("session.json's {field} is not what a session holds ({problem}): nothing was imported.",
                      "session.json 的 {field} 不符合会话的格式（{problem}）：未导入任何内容。"),
    "archive.image": ("{name} in the ZIP is not a PNG image the studio could have stored ({problem}): nothing was "
                      "imported.", "ZIP 中的 {name} 不是工作室可能保存的 PNG 图片（{problem}）：未导入任何内容。"),
    "archive.missing_image": ("session.json names {name}, which the ZIP lacks: export the session again and import "
                              "that ZIP.", "session.json 提到 {name}，但 ZIP 中没有：请重新导出会话再导入。"),
    "archive.images_quota": ("This session's {count} images would take your stored images past {limit}, the most "
                             "this studio allows: delete a session you no longer need, or import a branch.",
                             "这个会话的 {count} 张图片会让你保存的图片超过 {limit} 张（本工作室的上限）：请删除一个不再需要的会话，或只导入一个分支。"),
    "archive.placeholders": ("Imported from session.json alone: its {count} image(s) were not there, grey placeholders "
                             "stand in for them.", "仅从 session.json 导入：其中 {count} 张图片不在，以灰色占位图代替。"),
}

REPORT = {
    "title": ("Client report", "客户报告"),
    "prepared": ("Prepared with {studio} on {date}", "由 {studio} 于 {date} 制作"),
    "branch": ("This report covers one branch of the session.", "本报告只涵盖会话中的一个分支。"),
    "brief": ("The brief", "设计需求"),
    "checklist": ("The checklist", "检查清单"),
    "item": ("Item", "检查项"),
    "no_checklist": ("No checklist was written for this brief.", "这份需求还没有检查清单。"),
    "kind.visual": ("shown", "画面"),
    "kind.text": ("text", "文字"),
    "kind.avoid": ("avoid", "避免"),
    "verdict.pass": ("✓ met", "✓ 满足"),
    "verdict.fail": ("✗ not met", "✗ 未满足"),
    "verdict.unsure": ("? unsure", "? 不确定"),
    "verdict.none": ("not checked", "未检查"),
    "chosen": ("The chosen designs", "选定的设计"),
    "picked": ("Picked by the designer", "设计师选定"),
    "best": ("Nothing was picked yet: the critic's best of round {round}", "尚未选定：评审模型认为第 {round} 轮最好的一张"),
    "nothing": ("No round has rendered an image yet.", "还没有任何一轮生成图片。"),
    "candidate": ("Design {label}", "设计 {label}"),
    "why": ("Why: {reason}", "理由：{reason}"),
    "score": ("Critic's score {score}/100", "评审评分 {score}/100"),
    "prompt": ("Prompt", "提示词"),
    "negative": ("Avoided", "排除"),
    "rounds": ("Round by round", "逐轮经过"),
    "round": ("Round {round}", "第 {round} 轮"),
    "asked": ("The designer asked", "设计师的要求"),
    "rationale": ("The refiner's reasoning", "改写模型的思路"),
    "critique": ("The critic on the best of the round", "评审对本轮最佳的评语"),
    "corrections": ("Corrections", "修正"),
    "reactions": ("The designer's reactions", "设计师的反馈"),
    "pick": ("picked {label}", "选定 {label}"),
    "reject": ("rejected {label}", "否决 {label}"),
    "others": ("All designs of the round", "本轮全部设计"),
    "status": ("This round {status}.", "本轮{status}。"),
    "status.failed": ("failed", "失败"),
    "status.interrupted": ("was interrupted", "被中断"),
    "status.running": ("is still running", "仍在进行"),
    "status.pending": ("has not started", "尚未开始"),
    "missing": ("(image missing)", "（图片缺失）"),
    "kind.edit": ("region redrawn", "区域重绘"),
    "kind.fix": ("fix", "修正"),
    "kind.vary": ("variations", "变体"),
    "kind.upscale": ("upscale", "放大"),
    "kind.round": ("", ""),
}
