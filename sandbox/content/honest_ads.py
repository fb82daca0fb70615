"""Benign ads that look like the fraud: real on-site jobs, safety-officer hiring, honest schools."""

from __future__ import annotations

from sandbox.content import vocab
from sandbox.content.compose import Ad, body, choose_style, fill, finish
from sandbox.content.draft import TOPIC_REGISTERED, TOPIC_SAFETY, TOPIC_SPECIAL, Draft
from sandbox.content.pen import Pen
from sandbox.content.prices import monthly_salary, tuition

LABEL = "benign"

PROJECTS = (
    "住宅小区",
    "道路改造",
    "污水管网",
    "工业厂房",
    "学校扩建",
    "医院综合楼",
    "跨河桥梁",
    "综合管廊",
    "水库除险加固",
    "光伏电站",
    "地铁站配套",
    "安置房",
    "产业园",
    "高速公路养护",
    "雨污分流",
)
GRADES = (
    "建筑工程施工总承包一级",
    "市政公用工程施工总承包二级",
    "建筑工程施工总承包特级",
    "公路工程施工总承包二级",
    "水利水电工程施工总承包二级",
    "机电工程施工总承包一级",
)


def _job_slots(pen: Pen) -> dict[str, str]:
    # Real site-manager jobs mostly want 一建/二建, the certificates 挂证 ads want too.
    short, full, spec, _ = pen.registered_cert()
    if pen.chance(0.65):
        short, full, specs, _ = vocab.REGISTERED_CERTS[pen.pick((0, 1))]
        spec = pen.pick(specs)
    province, city = pen.place()
    return {
        "cert": short + spec,
        "full_spec": f"{full}（{spec}）" if spec else full,
        "province": province,
        "city": city,
        "project": pen.pick(PROJECTS),
        "grade": pen.pick(GRADES),
        "years": str(pen.between(3, 10)),
        "rest": str(pen.between(2, 6)),
        "sites": str(pen.between(3, 40)),
        "firm_word": pen.pick(vocab.FIRM_WORDS),
    }


ONSITE_TITLES = (
    "招聘项目经理（{cert}）需驻场 五险一金",
    "{firm_word}建设诚聘{cert}项目负责人，常驻{city}",
    "急招技术负责人，持{cert}优先，坐班",
    "{cert} 全职 社保公司缴纳",
    "招聘{full_spec}，全职坐班，谢绝挂证",
    "{city}{project}项目招施工员、技术员",
    "项目经理/执行经理（{cert}），{city}",
)
ONSITE_LINES = (
    "岗位职责：负责{city}{project}项目的施工组织、进度、质量和安全管理。",
    "任职要求：持{full_spec}证书，{years}年以上同类项目经验，带B证。",
    "另有项目奖金、餐补、住宿，年底双薪。",
    "工作地点：{city}{project}项目部，公司安排宿舍。",
    "公司具备{grade}资质，在建项目{sites}个。",
    "面试请带身份证、证书原件及近半年社保缴纳记录。",
    "证书和人都要在岗，住建部门会查考勤和社保，请挂证的朋友勿投。",
    "试用期三个月，转正后按公司薪酬制度调整。",
)
# Every on-site job states both: the holder works on site, and the employer pays 社保.
ONSITE_PRESENCE = (
    "须常驻项目部，每月休{rest}天，不接受挂证和兼职。",
    "要求驻场，项目在哪人在哪，不是挂证岗位。",
    "全职坐班，需长期驻场，按月考勤。",
)
ONSITE_INSURANCE = (
    "证书注册在本公司，社保、公积金由公司全额缴纳。",
    "入职即缴五险一金，社保由本单位缴纳。",
    "社保由公司缴纳，注册单位与社保单位一致。",
)


def onsite_job(pen: Pen, disguised: bool = False) -> Draft:
    choose_style(pen, (0.15, 0.2, 0.25, 0.4))
    slots = _job_slots(pen)
    ad = Ad(
        kind="onsite_job",
        label=LABEL,
        title=fill(pen.pick(ONSITE_TITLES), slots),
        lines=[
            fill(pen.pick(ONSITE_PRESENCE), slots),
            *body(pen, ONSITE_LINES, slots),
            fill(pen.pick(ONSITE_INSURANCE), slots),
        ],
        price=monthly_salary(pen, 7, 22),
        region=pen.region((slots["province"], slots["city"])),
        topic=TOPIC_REGISTERED,
        org=pen.firm(slots["city"]),
        person=pen.person(),
        province=slots["province"],
    )
    return finish(pen, ad, False, firm=True, contact_lead=("联系人：", "简历投递：", "人事部 "))


SAFETY_TITLES = (
    "招聘专职安全员 持C证 常驻工地",
    "急招安全员（有C证）{city}",
    "安全员一名，需驻场，包吃住",
    "{project}项目招安全员/资料员",
)
SAFETY_LINES = (
    "要求持有效安全员C证，证书须能在住建部门平台查询。",
    "负责现场安全巡查、班前教育、安全资料整理。",
    "长期驻场，公司缴纳五险，工资按月发放不拖欠。",
    "无证勿扰，持假证上岗一经发现立即辞退并报警。",
    "有{years}年以上工地经验优先，会用办公软件。",
    "工作地点在{city}{project}项目，宿舍在工地旁边。",
)


def safety_recruit(pen: Pen, disguised: bool = False) -> Draft:
    choose_style(pen, (0.3, 0.3, 0.1, 0.3))
    slots = _job_slots(pen)
    ad = Ad(
        kind="safety_recruit",
        label=LABEL,
        title=fill(pen.pick(SAFETY_TITLES), slots),
        lines=body(pen, SAFETY_LINES, slots),
        price=monthly_salary(pen, 4, 9),
        region=pen.region((slots["province"], slots["city"])),
        topic=TOPIC_SAFETY,
        org=pen.firm(slots["city"]),
        person=pen.person(),
        province=slots["province"],
    )
    return finish(pen, ad, False, firm=True, contact_lead=("联系人：", "电话：", ""))


TRAINING_TITLES = (
    "{exam}考前辅导班 周末面授",
    "{school}{exam}培训报名中",
    "{exam}网课+面授，按大纲授课",
    "{exam}{season}班招生，小班教学",
    "{exam}培训（考点在{city}），理论加实操",
)
TRAINING_LINES = (
    "课程按考试大纲安排，理论{theory}学时，实操{practice}学时。",
    "考试由主管部门统一组织，成绩合格后发证，可在官方平台查询。",
    "本校不承诺通过，也不存在所谓“包过”“免考”，请勿轻信此类广告。",
    "收费标准：{price}，含教材和模拟题，不含考试报名费。",
    "上课地点：{city}{town}，地铁、公交可达。",
    "报名需本人身份证、学历证明、一寸照片，须本人到场。",
    "实操课在实训基地进行，请穿劳保鞋。",
    "往期学员考试通过情况可到校查看，成绩以官方公布为准。",
    "平时上班的学员可选晚班或周末班。",
)


def training_honest(pen: Pen, disguised: bool = False) -> Draft:
    choose_style(pen, (0.2, 0.2, 0.3, 0.3))
    province, city = pen.place()
    exam = pen.pick(vocab.EXAMS)
    school = city + pen.pick(vocab.FIRM_WORDS) + pen.pick(vocab.SCHOOL_SUFFIXES)
    price = tuition(pen, 600, 6800)
    slots = {
        "exam": exam,
        "school": school,
        "city": city,
        "town": pen.pick(vocab.SCHOOL_TOWNS),
        "season": pen.pick(("春季", "秋季", "冬季", "寒假", "暑期")),
        "price": price,
        "theory": str(pen.between(24, 120)),
        "practice": str(pen.between(16, 80)),
    }
    topic = (
        TOPIC_SAFETY
        if exam.startswith("安全员")
        else (TOPIC_SPECIAL if exam.endswith("证") else TOPIC_REGISTERED)
    )
    ad = Ad(
        kind="training_honest",
        label=LABEL,
        title=fill(pen.pick(TRAINING_TITLES), slots),
        lines=body(pen, TRAINING_LINES, slots),
        price=price,
        region=pen.region((province, city)),
        topic=topic,
        org=school,
        person=pen.surname() + "老师",
        province=province,
    )
    return finish(pen, ad, False, firm=True, contact_lead=("报名电话：", "咨询：", "招生办 "))
