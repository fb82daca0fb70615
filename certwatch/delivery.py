"""Send the digest on: a JSON POST to a webhook and/or an e-mail over SMTP."""

from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Any

from certwatch.digest import StepOutcome
from certwatch.nightly_config import SmtpSettings


def post_webhook(url: str, payload: dict[str, Any], timeout: float = 15.0) -> StepOutcome:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "certwatch-nightly"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status = resp.status
    except urllib.error.HTTPError as exc:
        return StepOutcome("webhook", "failed", f"推送失败：{url} 返回 HTTP {exc.code}")
    except (OSError, ValueError) as exc:
        return StepOutcome("webhook", "failed", f"推送失败：{url} 无法连接（{exc}）")
    return StepOutcome("webhook", "done", f"已推送到 {url}（HTTP {status}）")


def send_mail(smtp: SmtpSettings, subject: str, text: str, html: str,
              timeout: float = 30.0) -> StepOutcome:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = smtp.sender
    msg["To"] = ", ".join(smtp.to)
    msg.set_content(text, charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    where = f"{smtp.host}:{smtp.port}"
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as client:
            if smtp.starttls:
                client.starttls()
            if smtp.username:
                client.login(smtp.username, smtp.password or "")
            refused = client.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        return StepOutcome("email", "failed", f"邮件发送失败：{where}（{exc}）")
    delivered = [r for r in smtp.to if r not in refused]
    if not delivered:
        return StepOutcome("email", "failed", f"邮件被 {where} 全部拒收")
    return StepOutcome("email", "done", f"已通过 {where} 发送给 {', '.join(delivered)}")
