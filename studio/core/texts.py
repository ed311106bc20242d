"""The engine's words, in English and Chinese: field names, refusals, progress and a round's end.

Data only (studio/core/messages.py says them). A code's templates take the same arguments in every language;
English is what API callers and the tests read, so change it only with the tests that quote it.
"""
from __future__ import annotations

from studio.core.texts_archive import ARCHIVE, ARCHIVE_FIELDS
from studio.core.texts_history import HISTORY
from studio.core.texts_compare import COMPARE, COMPARE_FIELDS
from studio.core.texts_images import IMAGE_FIELDS, IMAGE_WORK
from studio.core.texts_search import SEARCH, SEARCH_FIELDS
from studio.core.texts_reviews import REVIEW_FIELDS, REVIEWS

FIELDS = {
    # what the engine checks, as its refusals name it
    "brief": ("The brief", "简报"),
    "title": ("The title", "标题"),
    "note": ("Your note", "你的备注"),
    "round": ("The round", "轮次"),
    "candidate": ("The candidate", "候选图"),
    "question": ("Your question", "你的问题"),
    "rounds": ("Rounds", "轮数"),
    "message": ("Your message", "你的消息"),
    "directions": ("Directions", "方向数"),
    "candidate_count": ("The number of candidates", "候选图数量"),
    "width": ("Width", "宽度"),
    "height": ("Height", "高度"),
    "first_seed": ("The seed", "种子"),
    "negative_prompt": ("The negative prompt", "反向提示词"),
    "reference_file": ("The reference", "参考图"),
    "mask": ("The mask", "蒙版"),
    "checklist": ("The checklist", "检查清单"),
    "checklist_item": ("A checklist item", "检查项"),
    "pinned": ("Pinned", "固定"),
    "preferences": ("Preferences", "偏好"),
    "preference": ("A preference", "偏好项"),
    # the round settings, named as the page labels them (studio.core.params.ROUND_SETTINGS)
    "count": ("Candidates", "候选数"),
    "steps": ("Steps", "步数"),
    "size": ("Size (px)", "尺寸（像素）"),
    "guidance": ("Guidance", "引导强度"),
    "seed": ("Seed", "种子"),
    "style": ("Style", "风格"),
    "negative": ("Avoid (negative prompt)", "避免（反向提示词）"),
    "strength": ("Strength", "变化幅度"),
    "reference": ("Reference image", "参考图"),
    "start_from": ("Start from", "起点"),
    "stop_grace": ("The grace before a stop", "停止前的宽限时间"),
    "key_label": ("The key's label", "密钥名称"),
}

REFUSALS = {
    "who.unknown": ("Unknown user: sign in first (or reload the page), then try again. A script sends its API key.",
                    "未知用户：请先登录（或刷新页面）后再试。脚本请发送它的 API 密钥。"),
    "text.not_text": ("{what} must be text.", "{what}必须是文字。"),
    "text.empty": ("{what} is empty. Write a few words.", "{what}是空的。请写几个字。"),
    "text.too_long": ("{what} is {length:,} characters long; keep it under {limit:,}.",
                      "{what}有 {length:,} 个字符；请少于 {limit:,} 个。"),
    "number.not_whole": ("{what} must be a whole number, not {value}.", "{what}必须是整数，而不是 {value}。"),
    "number.not_number": ("{what} must be a number, not {value}.", "{what}必须是数字，而不是 {value}。"),
    "number.out_of_range": ("{what} must be between {low} and {high}, not {value}.",
                            "{what}必须在 {low} 到 {high} 之间，而不是 {value}。"),
    "number.far_out_of_range": ("{what} must be between {low} and {high}.", "{what}必须在 {low} 到 {high} 之间。"),
    "number.too_large": ("{what} must be between {low} and {high}, not a number that large.",
                         "{what}必须在 {low} 到 {high} 之间，这个数太大了。"),
    "size.not_multiple": ("{what} must be a multiple of {multiple} pixels, not {value}.",
                          "{what}必须是 {multiple} 像素的倍数，而不是 {value}。"),
    "flag.not_flag": ("{what} must be true or false, not {value}.", "{what}必须是 true 或 false，而不是 {value}。"),
    "table.not_table": ("{what} must be a table: a list of rows.", "{what}必须是表格：由若干行组成的列表。"),
    "table.too_wide": ("{what} has rows of more than {width} cells; keep to its {width} columns.",
                       "{what}有超过 {width} 格的行；请保持 {width} 列。"),
    "table.too_long": ("{what} has {rows} rows; keep it to {limit}.", "{what}有 {rows} 行；最多 {limit} 行。"),
    "checklist.bad_kind": ("A checklist item's kind is one of {kinds}, not {value}.",
                           "检查项的类型只能是 {kinds} 之一，而不是 {value}。"),
    "preference.bad_polarity": ("A preference is a 'like' or a 'dislike', not {value}.",
                                "偏好只能是 'like'（喜欢）或 'dislike'（不喜欢），而不是 {value}。"),
    "upload.link": ("{what} must be an uploaded image file, not a link.", "{what}必须是上传的图片文件，而不是链接。"),
    "upload.outside": ("{what} must be a file you uploaded; upload it again.", "{what}必须是你上传的文件；请重新上传。"),
    "upload.too_big": ("{what} is larger than {mb} MB; upload a smaller image.",
                       "{what}大于 {mb} MB；请上传更小的图片。"),
    "upload.format": ("{what} must be a PNG, JPEG or WebP image, not {format}.",
                      "{what}必须是 PNG、JPEG 或 WebP 图片，而不是 {format}。"),
    "upload.too_many_pixels": ("{what} is {width}x{height} pixels; keep it under 16 megapixels.",
                               "{what}为 {width}x{height} 像素；请小于 1600 万像素。"),
    "upload.missing": ("{what} file was not found; upload it again.", "找不到{what}文件；请重新上传。"),
    "upload.bomb": ("{what} has too many pixels to open; keep it under 16 megapixels.",
                    "{what}像素太多，无法打开；请小于 1600 万像素。"),
    "upload.unreadable": ("{what} is not an image we can read. Upload a PNG, JPEG or WebP.",
                          "{what}不是可读取的图片。请上传 PNG、JPEG 或 WebP。"),
    "upload.not_file": ("{what} must be an uploaded image file, not {value}.", "{what}必须是上传的图片文件，而不是 {value}。"),
    "style.unknown": ("There is no style {value}. Choose one of: {styles}.", "没有风格 {value}。请从这些中选择：{styles}。"),
    "start_from.bad": ("{what} must name a candidate as 'round.candidate', e.g. '2.3', not {value}.",
                       "{what}须以“轮次.候选图”的形式指定候选图，例如 '2.3'，而不是 {value}。"),
    "settings.not_mapping": ("Round settings must be a mapping of setting names to values, not {value}.",
                             "本轮设置必须是“设置名 → 值”的映射，而不是 {value}。"),
    "settings.unknown": ("There is no round setting {value}. The settings are: {names}.",
                         "没有本轮设置 {value}。可用的设置有：{names}。"),
    "settings.not_round_params": ("Round settings must be a RoundParams.", "本轮设置必须是 RoundParams。"),
    "session.bad_id": ("That is not a session id. Pick a session from your list.",
                       "这不是会话标识。请从你的列表中选择一个会话。"),
    "session.missing": ("No such session. It may have been deleted; pick one from your list.",
                        "没有这个会话，它可能已被删除；请从你的列表中选择一个。"),
    "session.none_open": ("No session is open: write a brief and press Start, or pick a session.",
                          "还没有打开会话：写下简报并按“开始”，或选择一个会话。"),
    "session.running_delete": ("A round is running in this session. Stop it first, then delete.",
                               "这个会话有一轮正在进行。请先停止，再删除。"),
    "round.missing": ("There is no round {round} in this session.", "这个会话没有第 {round} 轮。"),
    "round.missing_strip": ("There is no round {round} in this session: choose one in the strip.",
                            "这个会话没有第 {round} 轮：请在轮次条中选择一轮。"),
    "round.already_running": ("A round is already running in this session. Wait for it, or press Stop.",
                              "这个会话已有一轮正在进行。请等待，或按“停止”。"),
    "candidate.out_of_range": ("Round {round} has {count} candidates: choose 1 to {count}.",
                               "第 {round} 轮有 {count} 张候选图：请选择 1 到 {count}。"),
    "candidate.out_of_range_one": ("Round {round} has 1 candidate: choose 1 to 1.",
                                   "第 {round} 轮只有 1 张候选图：请选择 1。"),
    "candidate.none_in_round": ("Round {round} has no candidates: choose another round in the strip.",
                                "第 {round} 轮没有候选图：请在轮次条中选择另一轮。"),
    "candidate.missing": ("There is no candidate {candidate} in round {round}.", "第 {round} 轮没有第 {candidate} 张候选图。"),
    "candidate.choose_first": ("Choose a candidate first: click it, or press its number.",
                               "请先选择一张候选图：点击它，或按它的编号。"),
    "feedback.bad_kind": ("Feedback is one of pick, reject or correction, not {value}.",
                          "反馈只能是 pick（选定）、reject（否决）或 correction（修改意见），而不是 {value}。"),
    "feedback.round_running": ("Round {round} is still running; pick or reject once it is done.",
                               "第 {round} 轮仍在进行；请在完成后再选定或否决。"),
    "feedback.which_candidate.pick": ("Say which candidate to pick.", "请说明要选定哪张候选图。"),
    "feedback.which_candidate.reject": ("Say which candidate to reject.", "请说明要否决哪张候选图。"),
    "start.which_candidate": ("Say which candidate to start from as (round, candidate).",
                              "请以（轮次, 候选图）的形式说明从哪张候选图开始。"),
    "start.both": ("Start from a candidate or from an uploaded reference, not both.",
                   "请从候选图或上传的参考图开始，不能两者都用。"),
    "mask.without_image": ("A mask marks a region of an image: choose a candidate or upload a reference too.",
                           "蒙版标记的是图片中的区域：请同时选择一张候选图或上传参考图。"),
    "image.missing": ("That image is missing from the data folder; run the round again.",
                      "数据文件夹中缺少这张图片；请重新运行这一轮。"),
    "image.unknown": ("There is no such image in this session.", "这个会话中没有这张图片。"),
    "checklist.write_first": ("Write the checklist item first.", "请先写下检查项。"),
    "checklist.choose_row": ("Choose a checklist item first: click its row in the table.",
                             "请先选择一个检查项：点击表格中的那一行。"),
    "preferences.write_first": ("Write the taste first.", "请先写下偏好。"),
    "preferences.choose_row": ("Choose a taste first: click its row in the table.", "请先选择一个偏好：点击表格中的那一行。"),
    "model.error": ("{detail}", "模型出错：{detail}"),
    # the disk refused (services/disk.py): a refused action, or why a round failed
    "disk.full": ("The disk is full: free space in the data folder, then try again. Your earlier rounds are safe.",
                  "磁盘已满：请在数据文件夹所在的磁盘上腾出空间，然后再试一次。之前的轮次都安全。"),
    "disk.read_only": ("The data folder cannot be written (it is read-only, or the studio may not write there): make "
                       "it writable, then try again. Your earlier rounds are safe.",
                       "数据文件夹无法写入（它是只读的，或工作室无权写入）：请让它可写，然后再试一次。之前的轮次都安全。"),
    "disk.failing": ("The disk of the data folder failed to read or write (an I/O error): check the disk, or move the "
                     "data folder to a sound one, then try again. Your earlier rounds are safe.",
                     "数据文件夹所在的磁盘读写失败（I/O 错误）：请检查磁盘，或把数据文件夹移到正常的磁盘上，然后再试一次。"
                     "之前的轮次都安全。"),
    "studio.shutting_down": ("The studio is shutting down: try again in a minute.", "工作室正在关闭：请一分钟后再试。"),
    "key.too_many": ("You hold {limit} API keys, the most there may be: revoke one you no longer use, then create "
                     "another.", "你已有 {limit} 个 API 密钥，已达上限：请先吊销一个不再使用的，再创建新的。"),
    "key.bad_id": ("That is not an API key's id. Pick a key in the table of your keys.",
                   "这不是 API 密钥的标识。请在你的密钥表格中选择一个密钥。"),
    "key.missing": ("No such API key. It may have been revoked long ago; pick one from your list.",
                    "没有这个 API 密钥，它可能早已被吊销；请从你的列表中选择一个。"),
    "key.choose_first": ("Choose a key first: click its row in the table, or type its id.",
                         "请先选择一个密钥：点击表格中的那一行，或输入它的标识。"),
    "key.page_only": ("API keys are made, listed and revoked in the studio's page, not by a script sending a key.",
                      "API 密钥只能在工作室页面中创建、查看和吊销，不能由发送密钥的脚本操作。"),
}

ROUNDS = {
    # how a round ended (stored with the round) and what it reports while it runs
    "round.stopped": ("stopped by the designer", "设计师已停止"),
    "round.crashed": ("interrupted: the studio stopped while this round ran", "已中断：这一轮进行时工作室停止了"),
    "round.shut_down": ("interrupted: the studio was shut down while this round ran; run it again",
                        "已中断：这一轮进行时工作室被关闭了；请重新运行"),
    "round.recorded": ("{text}", "（旧记录，原文为英文）{text}"),
    "round.out_of_memory": ("The GPU ran out of memory, even rendering in two smaller batches. Render fewer "
                            "candidates or a smaller size, or pick a lighter preset; your earlier rounds are safe.",
                            "即使分成两小批渲染，GPU 内存仍然不足。请减少候选图数量或尺寸，或换一个更轻的预设；"
                            "之前的轮次都安全。"),
    "round.files_not_written": ("Could not write the round's files ({reason}). Check that the data folder has free "
                                "space and is writable; your earlier rounds are safe.",
                                "无法写入这一轮的文件（{reason}）。请检查数据文件夹有空闲空间且可写；之前的轮次都安全。"),
    "round.failed": ("The round failed ({error}). Your earlier rounds are safe; try again.",  # rounds stored before
                     "这一轮失败了（{error}）。之前的轮次都安全；请再试一次。"),
    "round.failed_ref": ("The round failed on the studio's side (ref {ref}). Your earlier rounds are safe; try "
                         "again, and if it keeps happening, tell the host the reference.",
                         "这一轮因工作室内部问题失败（编号 {ref}）。之前的轮次都安全；请再试一次，如果一再发生，请把编号告诉管理员。"),
    "status.done": ("done", "完成"),
    "status.failed": ("failed", "失败"),
    "status.interrupted": ("interrupted", "已中断"),
    "status.running": ("running", "进行中"),
    "status.pending": ("pending", "等待中"),
    "role.refiner": ("refiner", "改写模型"),
    "role.generator": ("generator", "生成模型"),
    "role.critic": ("critic", "评审模型"),
    "role.captioner": ("captioner", "描述模型"),
    "role.vqa": ("question answerer", "问答模型"),
    "role.scorer": ("scorer", "评分模型"),
    "role.previewer": ("previewer", "预览模型"),
    "progress.started": ("Round {round} started.", "第 {round} 轮开始。"),
    "progress.loading": ("Loading the {role} ({model_id})...", "正在加载{role}（{model_id}）……"),
    "progress.loaded": ("Loaded the {role} ({model_id}).", "已加载{role}（{model_id}）。"),
    "progress.refining": ("Writing the prompt...", "正在撰写提示词……"),
    "progress.rendering": ("Rendering: step {step}/{total}", "渲染中：第 {step}/{total} 步"),
    "progress.critiquing": ("Critiquing {count} candidates...", "正在评审 {count} 张候选图……"),
    "progress.checklist": ("Turning the brief into a checklist...", "正在把简报整理成检查清单……"),
    "progress.directions": ("Proposing directions...", "正在提出创意方向……"),
    "progress.ended": ("Round {round} {status}.", "第 {round} 轮{status}。"),
    "progress.ended_because": ("Round {round} {status}: {error}", "第 {round} 轮{status}：{error}"),
    "progress.auto_round": ("Auto-round {number}/{total}", "自动轮 {number}/{total}"),
    "progress.auto_round_best": ("Auto-round {number}/{total}, best score so far {best:.0f}",
                                 "自动轮 {number}/{total}，目前最高分 {best:.0f}"),
    "progress.auto_stopped": ("Auto-rounds stopped: {reason}.", "自动轮已停止：{reason}。"),
    "auto.all_ran": ("all {total} rounds ran", "全部 {total} 轮已运行"),
    "auto.all_ran_one": ("all 1 round ran", "唯一的 1 轮已运行"),
    "auto.round_failed": ("round {round} failed", "第 {round} 轮失败"),
    "auto.all_pass": ("every checklist item passes", "所有检查项都通过了"),
    "auto.no_gain": ("the best score stopped improving", "最高分不再提高"),
    "agreement.none": ("No picks yet: pick a candidate to see whether the critic agrees with you.",
                       "还没有选定：选定一张候选图，看看评审模型是否同意你。"),
    "agreement.counted": ("The critic ranked your pick first {agreed} of {total} times.",
                          "评审模型把你选定的图排在第一：{total} 次中有 {agreed} 次。"),
    "agreement.miss": ("round {round}: you picked {picked}, the critic ranked {first} first",
                       "第 {round} 轮：你选了第 {picked} 张，评审模型把第 {first} 张排在第一"),
}

NOTES = {
    # what the page's banner says about where the studio runs
    "note.tiny": ("Demo preset **tiny**: images and captions come from random-weight models. They show the studio "
                  "works, not what it can make.",
                  "演示预设 **tiny**：图片和描述来自随机权重的模型。它们只证明工作室能运行，不代表它能做出什么。"),
    "note.weights_missing": (
        "The **{preset}** preset can't load here: its weights ({missing}) are not downloaded and the Hugging Face "
        "hub can't be reached. Running the **tiny** demo preset instead: images come from random-weight models, not "
        "real designs. Download the weights where the hub is reachable (`hf download <id>`), or start with "
        "`--preset tiny` to silence this.",
        "**{preset}** 预设无法在这里加载：它的权重（{missing}）尚未下载，且无法连接 Hugging Face Hub。现改用 **tiny** "
        "演示预设：图片来自随机权重的模型，并非真实设计。请在能连接 Hub 的地方下载权重（`hf download <id>`），或用 "
        "`--preset tiny` 启动以关闭此提示。"),
    "note.no_storage": ("This Space has no persistent storage: sessions are lost when it restarts. Enable persistent "
                        "storage in the Space settings to keep them.",
                        "这个 Space 没有持久存储：重启后会话会丢失。请在 Space 设置中启用持久存储来保留它们。"),
}

HOSTING = {
    # what the HTTP gate and the queue's door say (studio/web)
    "hosting.not_found": ("Not found.", "未找到。"),
    "hosting.bad_key": ("This API key is not known, or it was revoked. Create a key in the studio's page (API keys) "
                        "and send it as 'Authorization: Bearer <key>'.",
                        "这个 API 密钥无效或已被吊销。请在工作室页面（API 密钥）中创建一个密钥，并以 "
                        "'Authorization: Bearer <密钥>' 发送。"),
    "hosting.no_file": ("No such file.", "没有这个文件。"),
    "hosting.not_uploaded": ("A file you sent was not uploaded to the studio. Upload it first (gradio_client's "
                             "handle_file does), then send what the upload returned.",
                             "你发送的文件没有上传到工作室。请先上传（gradio_client 的 handle_file 会上传），再发送上传返回的内容。"),
    "hosting.unavailable": ("The studio cannot answer just now (it may be stopping). Try again in a minute.",
                            "工作室此刻无法响应（可能正在停止）。请一分钟后再试。"),
    "hosting.too_big": ("This request is too large for the studio. Send less at once (a brief, a message or a table "
                        "row is short).", "请求太大，工作室无法处理。请一次发送少一些内容。"),
    "hosting.not_yours": ("This connection belongs to someone else. Reload the page to get your own.",
                          "这个连接属于别人。请刷新页面以获得你自己的连接。"),
    "hosting.login_wait": ("Too many wrong passwords. Wait {seconds} s, then try again.",
                           "密码错误次数过多。请等待 {seconds} 秒后再试。"),
    "hosting.upload_length": ("The upload did not say its size. Send it with a Content-Length header.",
                              "上传没有声明大小。请带上 Content-Length 头发送。"),
    "hosting.upload_count": ("You have {count} uploads waiting to be used, the most there may be: use them in a round, "
                             "or wait an hour for the unused ones to expire.",
                             "你有 {count} 个尚未使用的上传，已达上限：请在某一轮中使用它们，或等待一小时让未使用的上传过期。"),
    "hosting.upload_bytes": ("Your uploads waiting to be used would pass {megabytes} MB: use them in a round, or wait "
                             "an hour for the unused ones to expire.",
                             "你尚未使用的上传将超过 {megabytes} MB：请在某一轮中使用它们，或等待一小时让未使用的上传过期。"),
    "hosting.too_many_rounds": ("You already have {limit} rounds or questions queued or running: wait for one to "
                                "finish (or press Stop), then try again.",
                                "你已有 {limit} 个轮次或提问在排队或运行：请等其中一个结束（或按停止）后再试。"),
    "quota.sessions": ("You keep {limit} sessions, the most this studio allows: delete one you no longer need, then "
                       "start again.", "你已有 {limit} 个会话，已达本工作室的上限：请删除一个不再需要的会话后再开始。"),
    "quota.images": ("This round would take your stored images past {limit}, the most this studio allows: delete a "
                     "session you no longer need, or ask for fewer candidates.",
                     "这一轮会让你保存的图片超过 {limit} 张（本工作室的上限）：请删除一个不再需要的会话，或减少候选数。"),
    "hosting.too_many_requests": ("You already have {limit} requests waiting: wait for them to finish, then try "
                                  "again.", "你已有 {limit} 个请求在等待：请等它们完成后再试。"),
}

_FIELDS = {f"field.{key}": pair for key, pair in (FIELDS | IMAGE_FIELDS | REVIEW_FIELDS | COMPARE_FIELDS
                                                        | SEARCH_FIELDS | ARCHIVE_FIELDS).items()}
ENGINE = {code: {"en": en, "zh": zh}
          for code, (en, zh) in (_FIELDS | REFUSALS | ROUNDS | NOTES | HOSTING | IMAGE_WORK | REVIEWS | HISTORY | ARCHIVE
                              | COMPARE | SEARCH).items()}
