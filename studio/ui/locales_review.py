"""The words of review links, in English and Chinese: the designer's Review link panel (`rlink.*`) and the client's
page (`rpage.*`, studio/web/review.py). Joined to the rest in locales.py."""
from __future__ import annotations

REVIEW_PAGE = {
    # ---------------------------------------------------------------- the designer's panel
    "rlink.tab": ("Review link", "审阅链接"),
    "rlink.about": ("Share a read-only link with your client: they see the chosen candidates and the report, and can "
                    "vote and comment on each without an account. What they say appears here and in the conversation, "
                    "and the refiner reads it.",
                    "与客户分享只读链接：客户无需账号即可查看选定的候选图和报告，并对每张投票、评论。客户的意见会显示在这里和对话中，"
                    "改写模型也会读取。"),
    "rlink.days": ("Works for (days)", "有效天数"),
    "rlink.branch_only": ("This branch only (as it is now)", "仅当前分支（按现在的样子）"),
    "rlink.create": ("Create link", "创建链接"),
    "rlink.url": ("The link (shown once: copy it now)", "链接（只显示一次：请立即复制）"),
    "rlink.list": ("Links of this session", "本会话的链接"),
    "rlink.id": ("Link id to revoke", "要撤销的链接编号"),
    "rlink.revoke": ("Revoke", "撤销"),
    "rlink.created": ("Review link created; it works until {expires}. Copy it now: it is not shown again.",
                      "审阅链接已创建，有效期至 {expires}。请立即复制：它不会再次显示。"),
    "rlink.revoked": ("Review link {id} revoked: it opens nothing now.", "审阅链接 {id} 已撤销：它现在无法打开任何内容。"),
    "rlink.whole": ("whole session", "整个会话"),
    "rlink.branch": ("branch to round {round}", "到第 {round} 轮的分支"),
    "rlink.header.id": ("id", "编号"),
    "rlink.header.shows": ("shows", "内容"),
    "rlink.header.created": ("created", "创建于"),
    "rlink.header.expires": ("expires", "到期"),
    "rlink.header.notes": ("notes", "意见"),
    "rlink.header.revoked": ("revoked", "已撤销"),
    "rlink.vote.up": ("▲", "▲"),
    "rlink.vote.down": ("▼", "▼"),
    "rlink.chat": ("**Client** {vote}on {label}{signed}{comment}", "**客户** {vote}评 {label}{signed}{comment}"),
    "rlink.signed": (" ({name})", "（{name}）"),
    "rlink.said": (": “{comment}”", "：“{comment}”"),
    "rlink.info": ("Client votes: ▲ {up} · ▼ {down}", "客户投票：▲ {up} · ▼ {down}"),
    # ---------------------------------------------------------------- the client's page
    "rpage.banner": ("Shared for your review by the designer of **{title}**. This page is read-only: you can vote "
                     "for or against each chosen design and leave a comment; the designer sees them.",
                     "设计师与你分享了 **{title}**，请你审阅。本页面为只读：你可以对每个选定的设计投赞成或反对票并留下评论，设计师会看到。"),
    "rpage.gone_title": ("Review link", "审阅链接"),
    "rpage.sent": ("Thank you: the designer sees your note.", "谢谢：设计师已能看到你的意见。"),
    "rpage.for": ("For it", "赞成"),
    "rpage.against": ("Against it", "反对"),
    "rpage.no_vote": ("No vote", "不投票"),
    "rpage.comment": ("Comment", "评论"),
    "rpage.name": ("Your name (optional)", "你的名字（可选）"),
    "rpage.send": ("Send", "发送"),
    "rpage.tally": ("Votes so far: ▲ {up} · ▼ {down}", "目前的投票：▲ {up} · ▼ {down}"),
    "rpage.your_vote": ("your vote", "你的投票"),
}
