"""Chinese names for labels, statuses and actions, shared by pages and exports."""

from __future__ import annotations

LABELS_ZH = {"guazheng": "挂证", "fake_cert": "假证", "exam_fraud": "考试作弊/包过",
             "benign": "正常"}
STATUSES_ZH = {"pending": "待审核", "confirmed": "已确认", "dismissed": "已排除（误报）",
               "needs_info": "待补充信息", "escalated": "已上报主管", "closed": "已结案"}
ACTIONS_ZH = {"confirm": "确认", "dismiss": "排除（误报）", "needs_info": "需补充信息",
              "escalate": "上报主管", "close": "结案", "reopen": "重新打开"}
ROLES_ZH = {"analyst": "分析员", "supervisor": "主管", "admin": "管理员"}
KINDS_ZH = {"listing": "广告", "site": "仿冒网站", "user": "用户", "summary": "汇总表",
            "packet": "证据包"}
EVENTS_ZH = {"new": "新发现", "changed": "内容变化", "removed": "已下线", "reappeared": "重新出现"}
AUDIT_ZH = {"user.add": "添加用户", "user.reset": "重置用户", "user.active": "启用/停用账号",
            "login": "登录", "logout": "退出",
            "login.failed": "登录失败",
            "login.blocked": "登录被限流",
            "export.summary": "导出汇总表", "evidence.export": "导出证据包",
            "evidence.download": "下载证据包", "view.raw": "查看原始网页",
            **{f"decision.{k}": v for k, v in ACTIONS_ZH.items()}}
FIELDS_ZH = {"status": "状态", "category": "类别", "note": "备注", "name": "用户", "role": "角色",
             "format": "格式", "packet": "证据包", "manifest_sha256": "清单哈希",
             "timestamped": "可信时间戳", "active": "启用", "rows": "行数", "sha256": "SHA-256",
             "level": "统计口径"}
