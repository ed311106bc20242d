"""The engine's words for review links (a client's votes and comments), in English and Chinese. Data only;
studio/core/texts.py joins them to the rest."""
from __future__ import annotations

REVIEW_FIELDS = {
    "review_days": ("The link's life in days", "链接有效天数"),
    "branch_only": ("This branch only", "仅此分支"),
    "review_link": ("The link's id", "链接编号"),
    "vote": ("The vote", "投票"),
    "review_comment": ("Your comment", "你的评论"),
    "review_name": ("Your name", "你的名字"),
}

REVIEWS = {
    "review.gone": ("This review link has expired or was revoked. Ask the designer for a new one.",
                    "此审阅链接已过期或已被撤销。请向设计师索取新的链接。"),
    "review.no_round": ("This session has no round yet: run one, pick the candidates to show, then share the link.",
                        "此会话还没有轮次：请先运行一轮、选定要展示的候选图，再分享链接。"),
    "review.too_many": ("This session already has {limit} review links that work: revoke one you no longer need, "
                        "then create another.", "此会话已有 {limit} 个有效的审阅链接：请撤销一个不再需要的，再创建新的。"),
    "review.bad_link": ("There is no such review link: copy its id from the list of links.",
                        "没有这个审阅链接：请从链接列表中复制它的编号。"),
    "review.missing": ("This session has no such review link: copy its id from the list of links.",
                       "此会话没有这个审阅链接：请从链接列表中复制它的编号。"),
    "review.not_shown": ("This link shows no candidate {candidate} of round {round}: vote on the candidates it "
                         "shows.", "此链接没有展示第 {round} 轮的第 {candidate} 张候选图：请对展示的候选图投票。"),
    "review.empty": ("Vote for or against the candidate, or write a comment.", "请投赞成或反对票，或写一条评论。"),
    "review.full": ("This link has received {limit} notes, the most it takes: ask the designer for a new link.",
                    "此链接已收到 {limit} 条意见，已达上限：请向设计师索取新的链接。"),
    "review.form_expired": ("The form was too old or came from elsewhere: reload the page, then send it again.",
                            "表单已过期或来自别处：请刷新页面后再发送。"),
    "review.no_client": ("Your browser did not keep the review page's cookie: allow cookies for this site, reload "
                         "the page, then send again.", "你的浏览器没有保存审阅页面的 Cookie：请允许此网站的 Cookie，刷新页面后再发送。"),
}
