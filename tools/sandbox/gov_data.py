"""Seed catalogue of the government-services sandbox: cities, departments, documents,
life events, services and office templates.

The shapes follow China's national 政务服务事项 element set (eligibility 受理条件,
materials 申请材料, fees 收费项目, promised time limit 承诺办结时限, online handling
网上办理, appointment 是否支持预约办理) and the 一件事一次办 life-event bundles. Fees and
time limits are realistic orders of magnitude for 2026, not authoritative figures.

This module is pure data; :mod:`tools.sandbox.gov` loads it into SQLite so that the
free-text fields (descriptions, notices) can be overlaid by evals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class City:
    """One of the twelve cities the sandbox serves; ``area_codes`` seed national ID numbers."""

    code: str
    name_en: str
    name_zh: str
    province_zh: str  # empty for the four municipalities
    phone_area: str
    districts: tuple[tuple[str, str], ...]  # (zh, en)
    roads: tuple[tuple[str, str], ...]  # (zh, en)
    area_codes: tuple[str, ...]


CITIES: tuple[City, ...] = (
    City("BJ", "Beijing", "北京", "", "010",
         (("朝阳区", "Chaoyang"), ("海淀区", "Haidian"), ("东城区", "Dongcheng"), ("西城区", "Xicheng")),
         (("建国路", "Jianguo Road"), ("中关村大街", "Zhongguancun Street"), ("朝阳北路", "Chaoyang North Road"),
          ("西直门外大街", "Xizhimenwai Street"), ("东四十条", "Dongsi Shitiao")),
         ("110105", "110108", "110101", "110102")),
    City("SH", "Shanghai", "上海", "", "021",
         (("浦东新区", "Pudong New Area"), ("徐汇区", "Xuhui"), ("黄浦区", "Huangpu"), ("静安区", "Jing'an")),
         (("世纪大道", "Century Avenue"), ("漕溪北路", "Caoxi North Road"), ("西藏中路", "Xizang Middle Road"),
          ("南京西路", "Nanjing West Road"), ("合欢路", "Hehuan Road")),
         ("310115", "310104", "310101", "310106")),
    City("GZ", "Guangzhou", "广州", "广东省", "020",
         (("天河区", "Tianhe"), ("越秀区", "Yuexiu"), ("海珠区", "Haizhu"), ("番禺区", "Panyu")),
         (("天河路", "Tianhe Road"), ("东风中路", "Dongfeng Middle Road"), ("新港中路", "Xingang Middle Road"),
          ("市桥街清河东路", "Qinghe East Road"), ("体育西路", "Tiyu West Road")),
         ("440106", "440104", "440105", "440113")),
    City("SZ", "Shenzhen", "深圳", "广东省", "0755",
         (("福田区", "Futian"), ("南山区", "Nanshan"), ("罗湖区", "Luohu"), ("宝安区", "Bao'an")),
         (("福中三路", "Fuzhong 3rd Road"), ("南海大道", "Nanhai Avenue"), ("深南东路", "Shennan East Road"),
          ("创业一路", "Chuangye 1st Road"), ("福华路", "Fuhua Road")),
         ("440304", "440305", "440303", "440306")),
    City("HZ", "Hangzhou", "杭州", "浙江省", "0571",
         (("西湖区", "Xihu"), ("上城区", "Shangcheng"), ("拱墅区", "Gongshu"), ("滨江区", "Binjiang")),
         (("文三路", "Wensan Road"), ("解放东路", "Jiefang East Road"), ("莫干山路", "Moganshan Road"),
          ("江南大道", "Jiangnan Avenue"), ("天目山路", "Tianmushan Road")),
         ("330106", "330102", "330105", "330108")),
    City("CD", "Chengdu", "成都", "四川省", "028",
         (("武侯区", "Wuhou"), ("锦江区", "Jinjiang"), ("青羊区", "Qingyang"), ("高新区", "Gaoxin")),
         (("人民南路", "Renmin South Road"), ("红星路", "Hongxing Road"), ("蜀都大道", "Shudu Avenue"),
          ("天府大道", "Tianfu Avenue"), ("锦城大道", "Jincheng Avenue")),
         ("510107", "510104", "510105", "510109")),
    City("XA", "Xi'an", "西安", "陕西省", "029",
         (("雁塔区", "Yanta"), ("新城区", "Xincheng"), ("碑林区", "Beilin"), ("未央区", "Weiyang")),
         (("长安南路", "Chang'an South Road"), ("东新街", "Dongxin Street"), ("南大街", "South Street"),
          ("凤城八路", "Fengcheng 8th Road"), ("小寨东路", "Xiaozhai East Road")),
         ("610113", "610102", "610103", "610112")),
    City("WH", "Wuhan", "武汉", "湖北省", "027",
         (("武昌区", "Wuchang"), ("江岸区", "Jiang'an"), ("洪山区", "Hongshan"), ("汉阳区", "Hanyang")),
         (("中北路", "Zhongbei Road"), ("沿江大道", "Yanjiang Avenue"), ("珞喻路", "Luoyu Road"),
          ("汉阳大道", "Hanyang Avenue"), ("解放大道", "Jiefang Avenue")),
         ("420106", "420102", "420111", "420105")),
    City("NJ", "Nanjing", "南京", "江苏省", "025",
         (("玄武区", "Xuanwu"), ("鼓楼区", "Gulou"), ("建邺区", "Jianye"), ("秦淮区", "Qinhuai")),
         (("北京东路", "Beijing East Road"), ("中山北路", "Zhongshan North Road"), ("江东中路", "Jiangdong Middle Road"),
          ("中华路", "Zhonghua Road"), ("珠江路", "Zhujiang Road")),
         ("320102", "320106", "320105", "320104")),
    City("CQ", "Chongqing", "重庆", "", "023",
         (("渝中区", "Yuzhong"), ("江北区", "Jiangbei"), ("渝北区", "Yubei"), ("沙坪坝区", "Shapingba")),
         (("人民路", "Renmin Road"), ("建新北路", "Jianxin North Road"), ("金开大道", "Jinkai Avenue"),
          ("小龙坎正街", "Xiaolongkan Main Street"), ("解放碑步行街", "Jiefangbei Walkway")),
         ("500103", "500105", "500112", "500106")),
    City("KM", "Kunming", "昆明", "云南省", "0871",
         (("五华区", "Wuhua"), ("盘龙区", "Panlong"), ("官渡区", "Guandu"), ("西山区", "Xishan")),
         (("东风西路", "Dongfeng West Road"), ("北京路", "Beijing Road"), ("春城路", "Chuncheng Road"),
          ("滇池路", "Dianchi Road"), ("人民中路", "Renmin Middle Road")),
         ("530102", "530103", "530111", "530112")),
    City("HRB", "Harbin", "哈尔滨", "黑龙江省", "0451",
         (("南岗区", "Nangang"), ("道里区", "Daoli"), ("香坊区", "Xiangfang"), ("松北区", "Songbei")),
         (("红军街", "Hongjun Street"), ("中央大街", "Zhongyang Street"), ("中山路", "Zhongshan Road"),
          ("世纪大道", "Shiji Avenue"), ("果戈里大街", "Gogol Street")),
         ("230103", "230102", "230110", "230109")),
)

# Hukou cities outside the twelve served cities (migrants' home registrations).
OTHER_HUKOU: tuple[tuple[str, str], ...] = (
    ("Changsha", "430102"), ("Zhengzhou", "410102"), ("Hefei", "340102"), ("Jinan", "370102"),
    ("Nanning", "450102"), ("Shijiazhuang", "130102"),
)

DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    # (id, name_zh, name_en)
    ("public_security", "公安局", "Public Security Bureau"),
    ("exit_entry", "公安局出入境管理局", "Exit and Entry Administration"),
    ("traffic_police", "公安交通管理局车辆管理所", "Traffic Management Bureau, Vehicle Administration"),
    ("civil_affairs", "民政局", "Civil Affairs Bureau"),
    ("human_resources", "人力资源和社会保障局", "Human Resources and Social Security Bureau"),
    ("healthcare_security", "医疗保障局", "Healthcare Security Administration"),
    ("health_commission", "卫生健康委员会", "Health Commission"),
    ("market_regulation", "市场监督管理局", "Administration for Market Regulation"),
    ("taxation", "税务局", "Tax Service"),
    ("housing_fund", "住房公积金管理中心", "Housing Provident Fund Management Centre"),
    ("natural_resources", "规划和自然资源局（不动产登记中心）", "Natural Resources Bureau (Real Estate Registration Centre)"),
    ("transport", "交通委员会", "Transport Commission"),
)

DOCUMENTS: tuple[tuple[str, str, str, str], ...] = (
    # (code, name_zh, name_en, description)
    ("id_card", "居民身份证", "Resident ID card",
     "The applicant's valid second-generation resident ID card (原件). A temporary ID card is accepted."),
    ("household_register", "居民户口簿", "Household register (hukou booklet)",
     "The household register booklet (户口簿) including the head-of-household page and the applicant's page."),
    ("birth_medical_certificate", "出生医学证明", "Birth medical certificate",
     "Issued by the hospital where the child was born; the electronic version (电子出生医学证明) is accepted."),
    ("marriage_certificate", "结婚证", "Marriage certificate",
     "Both copies of the marriage certificate; an electronic marriage certificate can be pulled by the office."),
    ("photo", "近期免冠证件照", "Recent ID photo",
     "A recent bare-headed colour photo on a white background, 33 mm x 48 mm. Many windows take it on site."),
    ("marriage_photo", "双方合影照片", "Joint photo of the couple",
     "Three 2-inch half-length bare-headed photos of both partners together on a red background."),
    ("passport_old", "原护照", "Current (old) passport",
     "The passport being replaced; it is cut (剪角) and returned when the new one is issued."),
    ("business_name_approval", "企业名称自主申报告知书", "Business name approval notice",
     "The notice issued after the business name has been declared and accepted (名称自主申报)."),
    ("lease_contract", "房屋租赁合同", "Lease contract",
     "A residential or commercial lease contract, registered (备案) where the city requires it."),
    ("property_certificate", "不动产权证书", "Real estate title certificate",
     "The real estate title certificate (不动产权证书) or the older 房屋所有权证."),
    ("articles_of_association", "公司章程", "Articles of association",
     "The company's articles of association signed by all shareholders; templates are on the online portal."),
    ("business_licence", "营业执照", "Business licence",
     "The business licence; the electronic business licence (电子营业执照) is accepted."),
    ("bank_card", "本人银行卡（社保卡金融账户）", "Bank card in the applicant's name",
     "A debit card or the financial account of the social security card, used to receive payments."),
    ("death_medical_certificate", "居民死亡医学证明（推断）书", "Medical certificate of death",
     "Issued by the hospital, or by the community health centre for a death at home."),
    ("cremation_certificate", "火化证明", "Cremation certificate", "Issued by the funeral home after cremation."),
    ("relationship_proof", "亲属关系证明", "Proof of family relationship",
     "A household register showing the relationship, or a relationship certificate from the police station."),
    ("graduation_certificate", "毕业证书", "Graduation certificate",
     "The diploma; the CHSI online verification report (学信网学历验证报告) is accepted."),
    ("labour_contract", "劳动合同", "Labour contract", "The signed employment contract with the employer."),
    ("driver_health_certificate", "机动车驾驶人身体条件证明", "Driver's health certificate",
     "A health examination certificate for drivers from a designated hospital, valid for 6 months."),
    ("food_health_certificate", "食品从业人员健康证明", "Food handler's health certificate",
     "Health certificates of all staff who handle food."),
    ("food_safety_plan", "食品安全管理制度", "Food safety management plan",
     "The food safety rules of the premises and the floor plan of the kitchen."),
    ("vehicle_purchase_invoice", "机动车销售统一发票", "Vehicle purchase invoice",
     "The uniform invoice issued by the dealer for the new vehicle."),
    ("vehicle_conformity_certificate", "机动车整车出厂合格证", "Vehicle conformity certificate",
     "The manufacturer's conformity certificate of the vehicle."),
    ("compulsory_insurance_policy", "交强险保单", "Compulsory traffic insurance policy",
     "Proof of the compulsory motor vehicle traffic accident liability insurance."),
    ("vehicle_purchase_tax_proof", "车辆购置税完税证明", "Vehicle purchase tax proof",
     "Proof that the vehicle purchase tax was paid or exempted; usually checked electronically."),
    ("driving_licence", "机动车驾驶证", "Driving licence", "The applicant's current driving licence."),
    ("retirement_certificate", "退休审批表", "Retirement approval form",
     "The retirement approval form or certificate issued by the human resources and social security bureau."),
    ("property_contract", "房屋买卖合同", "Property purchase contract",
     "The signed (online-registered 网签) sale and purchase contract of the property."),
    ("tax_payment_proof", "完税凭证", "Tax payment receipt", "The receipt for the deed tax paid on the property."),
    ("residence_permit", "居住证", "Residence permit", "The residence permit of the city where the applicant lives."),
)


@dataclass(frozen=True)
class LifeEvent:
    id: str
    name_zh: str
    name_en: str
    description: str
    keywords: tuple[str, ...]


LIFE_EVENTS: tuple[LifeEvent, ...] = (
    LifeEvent("having-a-baby", "新生儿出生一件事", "Having a baby",
              "Everything to do after a child is born, in one go (出生一件事一次办): register the newborn in the "
              "household register, enrol the baby in basic medical insurance, apply for the baby's social "
              "security card, and claim the maternity allowance and the national childcare subsidy "
              "(育儿补贴, 3,600 CNY a year for each child under three).",
              ("baby", "newborn", "birth", "born", "child", "parent", "maternity", "childcare",
               "出生", "新生儿", "宝宝", "婴儿", "生育", "生孩子", "育儿", "上户口", "落户")),
    LifeEvent("moving-city", "迁居一件事", "Moving to another city",
              "Moving to live or work in another city: transfer your household registration (户口迁移) or apply "
              "for a residence permit (居住证), move your social insurance and housing provident fund, and "
              "update the address on your driving licence.",
              ("move", "moving", "relocate", "relocation", "new city", "residence", "hukou transfer",
               "迁居", "搬家", "迁户口", "户口迁移", "落户", "居住证", "异地")),
    LifeEvent("starting-business", "企业开办一件事", "Starting a business",
              "Open a company or an individual business (企业开办一件事): declare the business name, get the "
              "business licence, file company seals, register for tax and invoices, and open the employer's "
              "social insurance account. Most cities complete it within one working day.",
              ("business", "company", "start a business", "startup", "shop", "restaurant", "licence",
               "license", "self-employed", "entrepreneur", "开公司", "企业开办", "营业执照", "个体户",
               "开店", "创业", "注册公司")),
    LifeEvent("getting-married", "结婚一件事", "Getting married",
              "Register your marriage at any marriage registry in mainland China (since May 2025 no household "
              "register is needed), then update the marital status in the household register and, if you "
              "plan a family, file the birth registration (生育登记).",
              ("marriage", "married", "marry", "wedding", "spouse", "husband", "wife", "结婚", "婚姻",
               "领证", "登记结婚", "结婚证")),
    LifeEvent("retiring", "退休一件事", "Retiring",
              "When you reach the statutory retirement age: claim your basic pension (养老金), have your "
              "retiree medical insurance entitlement confirmed, withdraw your housing provident fund, and "
              "apply for the senior citizen card.",
              ("retire", "retirement", "pension", "senior", "elderly", "old age", "退休", "养老金",
               "养老保险", "老年", "退休金")),
    LifeEvent("lost-id-card", "身份证丢失补办", "Losing your ID card",
              "If your resident ID card is lost, stolen, damaged or about to expire: report the loss so the "
              "card cannot be misused, get a temporary ID card for travel, and apply for a replacement or "
              "renewal (补领/换领).",
              ("id card", "identity card", "lost", "stolen", "replace", "replacement", "renew id",
               "身份证", "丢失", "补办", "补领", "挂失", "换领", "临时身份证")),
    LifeEvent("renewing-passport", "护照换发", "Renewing a passport",
              "Renew your ordinary passport (普通护照换发) when it is about to expire or full, apply for a "
              "first passport, or get a travel permit to Hong Kong and Macau. Entry-exit offices take "
              "applications nationwide (全国通办) and issue within 7 working days.",
              ("passport", "renew passport", "travel abroad", "exit-entry", "visa", "护照", "换护照",
               "护照换发", "出入境", "出国", "港澳通行证")),
    LifeEvent("buying-car", "购车上牌一件事", "Buying a car",
              "After buying a car: take part in the licence plate quota lottery where the city limits cars, "
              "register the vehicle and get licence plates (上牌), and get or renew your driving licence.",
              ("car", "vehicle", "buy a car", "licence plate", "license plate", "plates", "driving licence",
               "driver", "买车", "购车", "上牌", "车牌", "摇号", "驾驶证", "驾照")),
    LifeEvent("death-in-family", "身后一件事", "Death of a family member",
              "After a family member dies: register the death and cancel the household registration, claim "
              "the funeral grant and survivor pension, apply for the basic funeral services subsidy, and "
              "register the inheritance of property.",
              ("death", "died", "passed away", "funeral", "bereavement", "inheritance", "deceased",
               "去世", "死亡", "身后", "丧葬", "殡葬", "抚恤金", "继承", "户口注销")),
    LifeEvent("graduating-first-job", "毕业就业一件事", "Graduating and first job",
              "After graduating from university: register as a graduate and transfer your personnel file, "
              "enrol in social insurance with your first employer, settle your household registration in "
              "the city where you work, and get the certificates employers ask for.",
              ("graduate", "graduation", "first job", "employment", "job", "career", "student",
               "毕业", "毕业生", "就业", "工作", "档案", "报到", "人才落户", "无犯罪记录")),
    LifeEvent("buying-home", "购房一件事", "Buying a home",
              "Buying a home: declare and pay the deed tax, register the transfer of the property title, "
              "and apply for a housing provident fund loan.",
              ("home", "house", "apartment", "flat", "property", "mortgage", "real estate", "买房", "购房",
               "房产", "过户", "不动产", "房贷", "公积金贷款")),
)

# Office types: (code, id tag, name_zh template, name_en template, offices per city).
# ``{d}``/``{de}`` are the district in Chinese/English, ``{c}``/``{ce}`` the city.
OFFICE_TYPES: tuple[tuple[str, str, str, str, int], ...] = (
    ("gov_service_centre", "GSC", "{c}市{d}政务服务中心", "{ce} {de} Government Service Centre", 2),
    ("police_station", "PSB", "{c}市公安局{d}分局户政办证大厅", "{ce} Public Security {de} Branch, Household Registration Hall", 2),
    ("entry_exit", "EXIT", "{c}市公安局出入境管理局{d}受理大厅", "{ce} Exit-Entry Administration, {de} Service Hall", 1),
    ("marriage_registry", "MAR", "{c}市{d}民政局婚姻登记处", "{ce} {de} Civil Affairs Marriage Registry", 1),
    ("social_insurance", "SOC", "{c}市{d}社会保险事业管理中心", "{ce} {de} Social Insurance Centre", 1),
    ("market_regulation", "AMR", "{c}市{d}市场监督管理局登记窗口", "{ce} {de} Market Regulation Administration", 1),
    ("vehicle_admin", "VEH", "{c}市公安局交通管理局车辆管理所{d}分所", "{ce} Vehicle Administration Office, {de}", 1),
    ("tax_bureau", "TAX", "国家税务总局{c}市{d}税务局办税服务厅", "{ce} {de} Tax Service Hall", 1),
    ("housing_fund", "HPF", "{c}住房公积金管理中心{d}管理部", "{ce} Housing Provident Fund Centre, {de} Branch", 1),
)

OFFICE_NOTICES: dict[str, tuple[str, ...]] = {
    "gov_service_centre": (
        "实行“一窗受理、集成服务”。Please take a queue number at the ground-floor information desk; "
        "appointment holders use the green channel (预约绿色通道).",
        "本中心提供免费复印和拍照服务。Free copying and photo booths are on the first floor. "
        "Parking is limited; please use public transport.",
        "周三下午为延时服务时段，部分窗口开放至18:00。Some windows stay open until 18:00 on Wednesdays.",
    ),
    "police_station": (
        "办理身份证请本人到场采集指纹和人像。Applicants for ID cards must come in person for fingerprints and photo.",
        "户籍业务实行预约优先。Appointments are served first; walk-ins are served as capacity allows.",
    ),
    "entry_exit": (
        "全国通办：非本市户籍居民可凭身份证在本大厅办理护照。Passports are issued nationwide regardless of hukou. "
        "Please arrive 10 minutes before your appointment.",
        "现场提供照相服务（免费）。On-site photo service is free; bring your old passport for renewals.",
    ),
    "marriage_registry": (
        "结婚登记须双方本人共同到场。Both partners must attend in person with their ID cards. "
        "颁证仪式可现场预约。",
        "5月20日、七夕等特殊日期预约较多，请提前预约。Popular dates book out early; please book ahead.",
    ),
    "social_insurance": (
        "养老金、医保、社保卡业务可先在“掌上12333”办理。Most pension and card services are also available online.",
        "请携带本人身份证原件，代办需提供委托书。Bring your own ID card; agents need a signed authorisation.",
    ),
    "market_regulation": (
        "企业开办“一网通办”，线上提交后一个工作日内办结。Online applications are completed within one working day.",
        "现场提供免费帮办代办服务。Free assistance with company registration forms is available at window 3.",
    ),
    "vehicle_admin": (
        "新车上牌请将车辆开至查验区。Drive the new vehicle to the inspection bay before going to the windows.",
        "驾驶证业务可通过“交管12123”App在线办理。Many licence services can be done in the Traffic Management 12123 app.",
    ),
    "tax_bureau": (
        "新办纳税人套餐可一次办结。New taxpayers can complete registration, invoices and tax UKey in one visit.",
        "请优先使用电子税务局。Please use the online tax bureau where possible; windows are busiest on the 15th.",
    ),
    "housing_fund": (
        "公积金提取可通过手机公积金App办理。Withdrawals can also be made in the housing fund mobile app.",
        "贷款业务请提前预约。Loan interviews require an appointment.",
    ),
}

_GSC, _PSB, _EXIT, _MAR = "gov_service_centre", "police_station", "entry_exit", "marriage_registry"
_SOC, _AMR, _VEH, _TAX, _HPF = "social_insurance", "market_regulation", "vehicle_admin", "tax_bureau", "housing_fund"


@dataclass(frozen=True)
class Service:
    """A government service item (政务服务事项). ``eligibility`` rules are data, see ``gov.RULES``."""

    id: str
    name_zh: str
    name_en: str
    department: str
    life_events: tuple[str, ...]
    documents: tuple[str, ...]
    fee_fen: int
    processing_days: int
    online_possible: bool
    appointment_required: bool
    office_types: tuple[str, ...]
    eligibility: tuple[dict[str, Any], ...]
    description: str
    keywords: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()  # empty: offered in every city
    fee_note: str = ""
    result: str = ""


def _r(rule: str, value: Any = None) -> dict[str, Any]:
    return {"rule": rule} if value is None else {"rule": rule, "value": value}


ADULT = _r("min_age", 18)
CHINESE = _r("nationality", ["CN"])

SERVICES: tuple[Service, ...] = (
    # -- having a baby -----------------------------------------------------------------
    Service("GS-0001", "新生儿出生登记（户口申报）", "Newborn household registration (birth hukou registration)",
            "public_security", ("having-a-baby",),
            ("birth_medical_certificate", "household_register", "id_card", "marriage_certificate"),
            0, 1, True, False, (_PSB, _GSC),
            (ADULT, _r("has_child_under_days", 365), _r("hukou_in_city")),
            "Register a newborn in the household register of a parent (新生儿入户). Apply within one month of the "
            "birth where possible; the child's national ID number is issued on registration. Online applications "
            "through the city's 一网通办 portal are checked against the electronic birth medical certificate.",
            ("birth registration", "register baby", "newborn hukou", "上户口", "报户口", "新生儿落户"),
            result="Household register page for the child (户口簿增页)"),
    Service("GS-0002", "新生儿城乡居民基本医疗保险参保登记", "Newborn enrolment in basic medical insurance",
            "healthcare_security", ("having-a-baby",),
            ("birth_medical_certificate", "household_register"),
            38000, 5, True, False, (_SOC, _GSC),
            (ADULT, _r("has_child_under_days", 365)),
            "Enrol the baby in urban and rural residents' basic medical insurance (城乡居民医保). Babies enrolled "
            "within 90 days of birth are covered from the date of birth. The fee is the baby's annual "
            "individual contribution for the first insurance year.",
            ("medical insurance", "health insurance", "医保", "参保", "少儿医保"),
            fee_note="Annual individual contribution for a child (城乡居民医保个人缴费), 380.00 CNY.",
            result="Insurance enrolment record"),
    Service("GS-0003", "社会保障卡申领（新生儿）", "Social security card for a newborn",
            "human_resources", ("having-a-baby",),
            ("birth_medical_certificate", "household_register"),
            0, 15, True, False, (_SOC, _GSC),
            (ADULT, _r("has_child_under_days", 365)),
            "Apply for the child's social security card (社保卡), which is also the medical insurance card. "
            "The first card is free; it is posted to the address given or collected at a bank branch.",
            ("social security card", "社保卡", "医保卡"), result="Social security card"),
    Service("GS-0004", "生育津贴申领", "Maternity allowance claim",
            "healthcare_security", ("having-a-baby",),
            ("id_card", "birth_medical_certificate", "bank_card"),
            0, 20, True, False, (_SOC, _GSC),
            (_r("has_child_under_days", 365), _r("social_insurance_in_city")),
            "Claim the maternity allowance (生育津贴) paid by maternity insurance during maternity leave. "
            "The employer usually applies; an insured parent may also apply directly within one year of the birth.",
            ("maternity leave", "maternity pay", "生育保险", "产假"), result="Payment to bank account"),
    Service("GS-0005", "预防接种证办理", "Child vaccination certificate",
            "health_commission", ("having-a-baby",),
            ("birth_medical_certificate", "household_register"),
            0, 0, False, True, (_GSC,),
            (_r("has_child_under_days", 365),),
            "Get the child's vaccination certificate (预防接种证) and the first immunisation schedule. "
            "Issued on the spot by the community health service desk in the government service centre; "
            "bring the baby's birth medical certificate.",
            ("vaccination", "vaccine", "immunisation", "疫苗", "接种"), result="Vaccination certificate"),
    Service("GS-0006", "育儿补贴申领", "Childcare subsidy claim",
            "health_commission", ("having-a-baby",),
            ("household_register", "birth_medical_certificate", "bank_card"),
            0, 20, True, False, (_GSC,),
            (ADULT, _r("has_child_under_days", 1095)),
            "Claim the national childcare subsidy (育儿补贴) of 3,600 CNY a year for each child under three. "
            "Apply once; the subsidy is paid yearly to the bank card given until the child turns three.",
            ("childcare subsidy", "child benefit", "育儿补贴", "补贴"), result="Yearly payment to bank account"),
    Service("GS-0007", "生育登记", "Birth registration service (family planning record)",
            "health_commission", ("having-a-baby", "getting-married"),
            ("id_card",),
            0, 0, True, False, (_GSC,),
            (ADULT,),
            "File the birth registration (生育登记) for your first, second or third child. It is needed to claim "
            "some maternity benefits. Immediate online service; no marriage certificate is required since 2023.",
            ("family planning", "生育服务", "准生证"), result="Electronic birth registration record"),
    # -- moving to another city ----------------------------------------------------------
    Service("GS-0008", "户口迁入（投靠、购房、就业落户）", "Household registration transfer (moving hukou in)",
            "public_security", ("moving-city", "graduating-first-job"),
            ("id_card", "household_register", "property_certificate"),
            0, 20, True, False, (_PSB, _GSC),
            (ADULT, _r("hukou_not_in_city"), _r("social_insurance_in_city")),
            "Move your household registration into this city (户口迁入) on the basis of a home you own, "
            "employment or joining family. Cross-province transfers are handled in one place (跨省通办): the "
            "receiving city requests the move-out from your old registration office.",
            ("hukou transfer", "transfer household registration", "迁户口", "落户"),
            result="New household register page"),
    Service("GS-0009", "居住证申领", "Residence permit application",
            "public_security", ("moving-city",),
            ("id_card", "photo", "lease_contract"),
            0, 15, True, False, (_PSB, _GSC),
            (_r("min_age", 16), _r("hukou_not_in_city")),
            "Apply for a residence permit (居住证) after living in the city for six months with a lease, a job or "
            "study. The permit gives access to local public services such as school enrolment and car plates. "
            "The first permit is free.",
            ("residence permit", "居住证", "暂住证"), result="Residence permit card"),
    Service("GS-0010", "基本养老保险关系转移接续", "Transfer of pension insurance records",
            "human_resources", ("moving-city",),
            ("id_card",),
            0, 15, True, False, (_SOC, _GSC),
            (_r("min_age", 16),),
            "Transfer your basic pension insurance account when you change cities (社保转移). Apply in the new "
            "city; contribution years are carried over and the funds are transferred between the two centres.",
            ("social insurance transfer", "pension transfer", "社保转移", "养老保险转移")),
    Service("GS-0011", "住房公积金异地转移接续", "Housing provident fund transfer between cities",
            "housing_fund", ("moving-city",),
            ("id_card",),
            0, 10, True, False, (_HPF, _GSC),
            (ADULT, _r("social_insurance_in_city")),
            "Move your housing provident fund account (公积金) to the city where you now work. Apply in the new "
            "city once your new employer has opened your account there.",
            ("housing fund transfer", "公积金转移")),
    Service("GS-0012", "机动车驾驶证联系地址变更", "Driving licence address change",
            "traffic_police", ("moving-city",),
            ("id_card", "driving_licence"),
            0, 1, True, False, (_VEH, _GSC),
            (ADULT, _r("has_driving_licence", True)),
            "Update the contact address on your driving licence record after moving. Free and immediate in the "
            "Traffic Management 12123 app or at the vehicle administration office.",
            ("address change", "驾驶证地址", "变更地址")),
    # -- starting a business -------------------------------------------------------------
    Service("GS-0013", "企业名称自主申报", "Business name declaration",
            "market_regulation", ("starting-business",),
            ("id_card",),
            0, 1, True, False, (_AMR, _GSC),
            (ADULT, CHINESE),
            "Declare the name of a new company online (名称自主申报). The system checks the name against existing "
            "names and prohibited words; the approval notice is needed for company registration.",
            ("company name", "名称核准", "起名"), result="Business name approval notice"),
    Service("GS-0014", "企业设立登记（营业执照）", "Company registration and business licence",
            "market_regulation", ("starting-business",),
            ("id_card", "business_name_approval", "lease_contract", "articles_of_association"),
            0, 3, True, False, (_AMR, _GSC),
            (ADULT,),
            "Register a limited liability company and receive the business licence (营业执照) and electronic "
            "business licence. Part of 企业开办一件事: seals, tax registration and social insurance can be "
            "requested in the same application.",
            ("business licence", "business license", "register company", "营业执照", "公司注册", "开公司"),
            result="Business licence"),
    Service("GS-0015", "个体工商户登记", "Individual business (sole proprietor) registration",
            "market_regulation", ("starting-business",),
            ("id_card", "lease_contract"),
            0, 1, True, False, (_AMR, _GSC),
            (_r("min_age", 16),),
            "Register an individual business (个体工商户) such as a small shop, stall or studio. Usually completed "
            "on the same working day; the licence shows the operator's name and the business premises.",
            ("sole proprietor", "individual business", "small shop", "个体户", "开店"), result="Business licence"),
    Service("GS-0016", "公章刻制备案", "Company seal engraving and filing",
            "public_security", ("starting-business",),
            ("business_licence", "id_card"),
            0, 1, True, False, (_PSB, _GSC),
            (_r("business_owner", True),),
            "Have the company seals made (公章、财务章、发票章) by an approved engraver and filed with the police. "
            "New businesses get their first set free under 企业开办 in participating cities.",
            ("company seal", "chop", "公章", "印章"),
            fee_note="First set of seals paid by the government for new businesses.", result="Company seals"),
    Service("GS-0017", "新办纳税人涉税事项（税务登记与发票申领）", "Tax registration and invoices for new businesses",
            "taxation", ("starting-business",),
            ("business_licence", "id_card"),
            0, 1, True, False, (_TAX, _GSC),
            (_r("business_owner", True),),
            "Confirm tax registration information, choose the taxpayer type and apply for digital invoices "
            "(数电发票) and the tax UKey. Can be done online in the electronic tax bureau.",
            ("tax registration", "invoice", "fapiao", "税务登记", "发票"), result="Tax registration record"),
    Service("GS-0018", "单位社会保险登记", "Employer social insurance registration",
            "human_resources", ("starting-business",),
            ("business_licence", "id_card"),
            0, 1, True, False, (_SOC, _GSC),
            (_r("business_owner", True),),
            "Open the employer's social insurance account so that employees can be enrolled in pension, medical, "
            "unemployment, work injury and maternity insurance.",
            ("employer registration", "social insurance", "单位参保", "社保开户")),
    Service("GS-0019", "食品经营许可证核发", "Food business permit",
            "market_regulation", ("starting-business",),
            ("business_licence", "lease_contract", "food_safety_plan", "food_health_certificate"),
            0, 10, True, False, (_AMR, _GSC),
            (_r("business_owner", True),),
            "Permit needed to open a restaurant, café, bakery or food shop (食品经营许可). Includes an on-site "
            "inspection of the kitchen for restaurants. Part of 开办餐饮店一件事.",
            ("restaurant", "cafe", "food permit", "餐饮", "食品经营", "开饭店"), result="Food business permit"),
    # -- getting married ------------------------------------------------------------------
    Service("GS-0020", "内地居民结婚登记", "Marriage registration",
            "civil_affairs", ("getting-married",),
            ("id_card", "marriage_photo"),
            0, 0, False, True, (_MAR,),
            (_r("legal_marriage_age", {"male": 22, "female": 20}),
             _r("marital_status", ["single", "divorced", "widowed"]), CHINESE),
            "Register your marriage (结婚登记). Both partners come in person with their ID cards; since the 2025 "
            "Marriage Registration Regulations any marriage registry in mainland China can register you and the "
            "household register is no longer required. The certificate is issued on the spot.",
            ("marriage registration", "marriage certificate", "领证", "登记结婚", "结婚证"),
            result="Marriage certificate"),
    Service("GS-0021", "婚前医学检查", "Premarital health check",
            "health_commission", ("getting-married",),
            ("id_card",),
            0, 3, False, True, (_GSC,),
            (ADULT,),
            "A free, voluntary premarital health examination (婚检) for both partners, with counselling. "
            "Book a time at the maternal and child health desk of the government service centre.",
            ("premarital check", "health check", "婚检"), result="Health check report"),
    Service("GS-0022", "户口簿婚姻状况变更", "Update marital status in the household register",
            "public_security", ("getting-married",),
            ("id_card", "household_register", "marriage_certificate"),
            0, 1, True, False, (_PSB, _GSC),
            (_r("marital_status", ["married"]), _r("hukou_in_city")),
            "Update the marital status shown in the household register (户口簿婚姻状况变更) after marrying or "
            "divorcing. Online in most cities with the electronic marriage certificate.",
            ("marital status", "户口本变更", "婚姻状况")),
    # -- retiring ------------------------------------------------------------------------
    Service("GS-0023", "基本养老保险待遇申领", "Basic pension claim",
            "human_resources", ("retiring",),
            ("id_card", "bank_card"),
            0, 20, True, False, (_SOC, _GSC),
            (_r("retirement_age", {"male": 60, "female": 55}), _r("social_insurance_in_city")),
            "Claim your monthly basic pension (养老金) when you reach the statutory retirement age and have at "
            "least 15 years of contributions. The pension is calculated and paid to your social security card.",
            ("pension", "retirement pension", "养老金", "退休金", "退休待遇"), result="Monthly pension"),
    Service("GS-0024", "退休人员基本医疗保险待遇核定", "Retiree medical insurance entitlement",
            "healthcare_security", ("retiring",),
            ("id_card", "retirement_certificate"),
            0, 15, True, False, (_SOC, _GSC),
            (_r("retirement_age", {"male": 60, "female": 55}), _r("social_insurance_in_city")),
            "Confirm your contribution years so that you keep employee medical insurance after retiring without "
            "further contributions (退休医保待遇).",
            ("medical insurance", "医保", "退休医保")),
    Service("GS-0025", "住房公积金退休提取", "Housing provident fund withdrawal on retirement",
            "housing_fund", ("retiring",),
            ("id_card", "bank_card", "retirement_certificate"),
            0, 3, True, False, (_HPF, _GSC),
            (_r("retirement_age", {"male": 60, "female": 55}),),
            "Withdraw the full balance of your housing provident fund and close the account on retirement.",
            ("housing fund", "公积金提取", "销户")),
    Service("GS-0026", "老年人优待证办理", "Senior citizen card",
            "civil_affairs", ("retiring",),
            ("id_card", "photo"),
            0, 7, True, False, (_GSC,),
            (_r("min_age", 60),),
            "The senior citizen card (老年人优待证) gives free or discounted public transport, parks and museums. "
            "Residents aged 65 and over ride city buses free in most cities.",
            ("senior card", "elderly card", "老年卡", "优待证"), result="Senior citizen card"),
    # -- losing an ID card --------------------------------------------------------------
    Service("GS-0027", "居民身份证挂失", "Report a lost resident ID card",
            "public_security", ("lost-id-card",),
            (),
            0, 0, True, False, (_PSB, _GSC),
            (CHINESE,),
            "Report a lost or stolen ID card (身份证挂失) so that it is flagged in the national system and cannot "
            "be used to open accounts. Immediate; you can then apply for a replacement.",
            ("lost id", "stolen id", "report loss", "挂失", "身份证丢失")),
    Service("GS-0028", "居民身份证补领", "Resident ID card replacement",
            "public_security", ("lost-id-card",),
            ("household_register", "photo"),
            2000, 20, False, True, (_PSB, _GSC),
            (CHINESE,),
            "Apply for a replacement ID card (身份证补领) after loss or damage. Come in person for fingerprints and "
            "the photo; it can be done in any city (跨省通办). Collect it at the office or have it posted.",
            ("replace id card", "new id card", "补办身份证", "补领"),
            fee_note="Production fee 20.00 CNY (工本费).", result="Resident ID card"),
    Service("GS-0029", "临时居民身份证申领", "Temporary resident ID card",
            "public_security", ("lost-id-card",),
            ("photo",),
            1000, 0, False, False, (_PSB, _GSC),
            (CHINESE,),
            "A temporary ID card (临时身份证) valid for three months, issued on the spot while your card is being "
            "made. Accepted for train and air travel.",
            ("temporary id", "临时身份证"), fee_note="Production fee 10.00 CNY.", result="Temporary ID card"),
    Service("GS-0030", "居民身份证到期换领", "Resident ID card renewal on expiry",
            "public_security", ("lost-id-card",),
            ("id_card", "photo"),
            2000, 20, False, True, (_PSB, _GSC),
            (CHINESE, _r("id_card_expires_within_days", 90)),
            "Renew your ID card (身份证换领) within 90 days before it expires, or after it has expired. Come in "
            "person for fingerprints and photo; the old card stays valid until the new one is ready.",
            ("renew id card", "expired id", "身份证到期", "换领", "换证"),
            fee_note="Production fee 20.00 CNY (工本费).", result="Resident ID card"),
    # -- renewing a passport --------------------------------------------------------------
    Service("GS-0031", "普通护照换发", "Ordinary passport renewal",
            "exit_entry", ("renewing-passport",),
            ("id_card", "passport_old", "photo"),
            12000, 7, False, True, (_EXIT, _GSC),
            (CHINESE, _r("has_passport", True), _r("passport_expires_within_days", 180)),
            "Renew your passport (护照换发) when it has less than six months of validity left, or its visa pages are "
            "full. Apply in person at any entry-exit office in mainland China (全国通办); fingerprints and the photo "
            "are taken on site. The new passport is issued within 7 working days and can be posted.",
            ("passport renewal", "renew passport", "换护照", "护照到期"),
            fee_note="Passport fee 120.00 CNY.", result="Ordinary passport"),
    Service("GS-0032", "普通护照首次申领", "First passport application",
            "exit_entry", ("renewing-passport",),
            ("id_card", "photo"),
            12000, 7, False, True, (_EXIT, _GSC),
            (CHINESE, _r("has_passport", False)),
            "Apply for your first ordinary passport (首次申领护照). Minors under 16 come with a guardian.",
            ("first passport", "new passport", "办护照"), fee_note="Passport fee 120.00 CNY.",
            result="Ordinary passport"),
    Service("GS-0033", "往来港澳通行证及签注", "Travel permit to Hong Kong and Macau",
            "exit_entry", ("renewing-passport",),
            ("id_card", "photo"),
            6000, 7, False, True, (_EXIT, _GSC),
            (CHINESE,),
            "Apply for the Exit-Entry Permit for Travelling to and from Hong Kong and Macau (往来港澳通行证). "
            "Endorsements (签注) for individual travel can be added later at self-service machines.",
            ("hong kong", "macau", "travel permit", "港澳通行证", "签注"),
            fee_note="Card fee 60.00 CNY; endorsements extra.", result="Travel permit card"),
    Service("GS-0034", "出入境记录查询", "Exit-entry record inquiry",
            "exit_entry", ("renewing-passport",),
            ("id_card",),
            0, 0, True, False, (_EXIT,),
            (),
            "Get a certified record of your border crossings (出入境记录), often needed for visa applications. "
            "Issued immediately online through the National Immigration Administration app.",
            ("travel record", "出入境记录"), result="Certified record"),
    # -- buying a car -----------------------------------------------------------------------
    Service("GS-0035", "小客车指标申请（摇号）", "Passenger car quota application (plate lottery)",
            "transport", ("buying-car",),
            ("id_card",),
            0, 30, True, False, (),
            (ADULT, _r("resident_of_city")),
            "Apply for a passenger car quota (小客车指标) in cities that limit car ownership. Applications are "
            "online only; lotteries are held every two months and the result is announced on the portal.",
            ("plate lottery", "car quota", "摇号", "指标", "车牌摇号"),
            cities=("Beijing", "Guangzhou", "Shenzhen", "Hangzhou"), result="Quota certificate"),
    Service("GS-0036", "机动车注册登记（新车上牌）", "New vehicle registration and licence plates",
            "traffic_police", ("buying-car",),
            ("id_card", "vehicle_purchase_invoice", "vehicle_conformity_certificate", "compulsory_insurance_policy",
             "vehicle_purchase_tax_proof"),
            12500, 1, True, False, (_VEH,),
            (ADULT,),
            "Register a new car and get licence plates (上牌). The vehicle is inspected at the office or at a "
            "dealer's registration point; plates can be chosen online from a random selection (自编号牌).",
            ("licence plates", "license plates", "register car", "上牌", "车牌", "行驶证"),
            fee_note=("Plates 100.00 + vehicle licence 10.00 + registration certificate 10.00 "
                      "+ inspection mark 5.00 CNY."),
            result="Licence plates, vehicle licence and registration certificate"),
    Service("GS-0037", "机动车驾驶证初次申领", "First driving licence",
            "traffic_police", ("buying-car", "graduating-first-job"),
            ("id_card", "photo", "driver_health_certificate"),
            1000, 30, False, True, (_VEH,),
            (ADULT, _r("has_driving_licence", False)),
            "Apply for your first driving licence (驾驶证) after passing the theory and road tests arranged by a "
            "driving school. The fee covers the licence card; test fees are paid separately.",
            ("driving licence", "driver license", "driving test", "驾照", "考驾照"),
            fee_note="Licence card 10.00 CNY.", result="Driving licence"),
    Service("GS-0038", "机动车驾驶证期满换证", "Driving licence renewal",
            "traffic_police", ("buying-car",),
            ("id_card", "driving_licence", "photo", "driver_health_certificate"),
            1000, 1, True, True, (_VEH, _GSC),
            (_r("has_driving_licence", True), _r("driving_licence_expires_within_days", 90)),
            "Renew your driving licence within 90 days before it expires (期满换证). Possible in any city and in the "
            "12123 app with an electronic health certificate.",
            ("renew driving licence", "驾照到期", "换驾照", "换证"),
            fee_note="Licence card 10.00 CNY.", result="Driving licence"),
    # -- death of a family member ------------------------------------------------------------
    Service("GS-0039", "死亡登记及户口注销", "Death registration and household registration cancellation",
            "public_security", ("death-in-family",),
            ("id_card", "household_register", "death_medical_certificate"),
            0, 1, True, False, (_PSB, _GSC),
            (ADULT,),
            "Cancel the household registration of a family member who has died (户口注销). A family member "
            "applies with the medical certificate of death; the ID card of the deceased is returned.",
            ("death registration", "cancel hukou", "户口注销", "销户"), result="Cancellation certificate"),
    Service("GS-0040", "丧葬补助金和抚恤金申领", "Funeral grant and survivor pension",
            "human_resources", ("death-in-family",),
            ("id_card", "death_medical_certificate", "relationship_proof", "bank_card"),
            0, 20, True, False, (_SOC, _GSC),
            (ADULT,),
            "Claim the funeral grant and survivor pension (丧葬补助金、抚恤金) from the basic pension insurance of "
            "the deceased, and the balance of the individual pension account.",
            ("funeral grant", "survivor pension", "抚恤金", "丧葬费"), result="Payment to bank account"),
    Service("GS-0041", "惠民殡葬补贴申领", "Basic funeral services subsidy",
            "civil_affairs", ("death-in-family",),
            ("id_card", "death_medical_certificate", "cremation_certificate"),
            0, 10, True, False, (_GSC,),
            (ADULT,),
            "A subsidy covering basic funeral services (惠民殡葬) such as body transport, cremation and a basic "
            "urn for residents whose household registration was in the city.",
            ("funeral subsidy", "cremation", "殡葬补贴", "火化")),
    Service("GS-0042", "不动产继承登记", "Property inheritance registration",
            "natural_resources", ("death-in-family",),
            ("id_card", "death_medical_certificate", "property_certificate", "relationship_proof"),
            8000, 20, False, True, (_GSC,),
            (ADULT,),
            "Register the transfer of a home to the heirs (继承登记). All heirs attend or sign a notarised "
            "renunciation; the registration centre publishes a notice before issuing the new title.",
            ("inheritance", "inherit property", "继承", "遗产"),
            fee_note="Registration fee for a residence 80.00 CNY.", result="Real estate title certificate"),
    # -- graduating / first job ------------------------------------------------------------
    Service("GS-0043", "高校毕业生就业报到及档案接收", "Graduate registration and personnel file transfer",
            "human_resources", ("graduating-first-job",),
            ("id_card", "graduation_certificate"),
            0, 5, True, False, (_SOC, _GSC),
            (_r("min_age", 16), _r("max_age", 35)),
            "Register as a new graduate with the public employment service and have your personnel file (档案) "
            "received by the talent service centre. Replaces the former 报到证.",
            ("graduate registration", "personnel file", "档案", "报到"), result="Registration record"),
    Service("GS-0044", "职工社会保险个人参保登记", "Employee social insurance enrolment",
            "human_resources", ("graduating-first-job",),
            ("id_card", "labour_contract"),
            0, 1, True, False, (_SOC, _GSC),
            (_r("min_age", 16),),
            "Enrol in employee social insurance (参保登记) with your first employer. Usually done by the employer; "
            "you can check or complete it yourself.",
            ("social insurance", "社保", "参保")),
    Service("GS-0045", "应届毕业生落户", "Hukou settlement for new graduates",
            "public_security", ("graduating-first-job", "moving-city"),
            ("id_card", "graduation_certificate", "labour_contract", "household_register"),
            0, 30, True, False, (_PSB, _GSC),
            (_r("max_age", 35), _r("hukou_not_in_city")),
            "Graduates under 35 with a job in the city can move their household registration here (人才落户). "
            "Apply within two years of graduating.",
            ("talent hukou", "graduate hukou", "人才落户", "毕业生落户")),
    Service("GS-0046", "无犯罪记录证明开具", "Certificate of no criminal record",
            "public_security", ("graduating-first-job",),
            ("id_card",),
            0, 3, True, False, (_PSB, _GSC),
            (_r("min_age", 16),),
            "A certificate that you have no criminal record (无犯罪记录证明), often requested by employers, "
            "schools and visa offices. Apply online; the certificate is electronic with a verification code.",
            ("no criminal record", "police certificate", "background check", "无犯罪记录"),
            result="Electronic certificate"),
    Service("GS-0047", "住房公积金租房提取", "Housing provident fund withdrawal for rent",
            "housing_fund", ("graduating-first-job", "moving-city"),
            ("id_card", "lease_contract", "bank_card"),
            0, 10, True, False, (_HPF, _GSC),
            (ADULT, _r("social_insurance_in_city")),
            "Withdraw part of your housing provident fund to pay rent (租房提取) if you do not own a home in the city.",
            ("rent", "housing fund", "公积金", "租房提取")),
    # -- buying a home --------------------------------------------------------------------------
    Service("GS-0048", "契税申报", "Deed tax declaration",
            "taxation", ("buying-home",),
            ("id_card", "property_contract"),
            0, 1, True, False, (_TAX, _GSC),
            (ADULT,),
            "Declare the deed tax (契税) on a home purchase. The tax (1-3% of the price) is calculated on "
            "declaration and paid separately; this service itself is free.",
            ("deed tax", "property tax", "契税"), result="Tax payment receipt"),
    Service("GS-0049", "不动产转移登记", "Property transfer registration",
            "natural_resources", ("buying-home",),
            ("id_card", "property_contract", "tax_payment_proof", "property_certificate"),
            8000, 5, False, True, (_GSC,),
            (ADULT,),
            "Register the transfer of a home to the buyer (二手房过户) and get the new title certificate. Water, "
            "power, gas and internet accounts can be transferred in the same visit (水电气网联动过户).",
            ("property transfer", "title transfer", "过户", "房产证"),
            fee_note="Registration fee for a residence 80.00 CNY.", result="Real estate title certificate"),
    Service("GS-0050", "住房公积金贷款申请", "Housing provident fund loan",
            "housing_fund", ("buying-home",),
            ("id_card", "property_contract", "marriage_certificate"),
            0, 15, False, True, (_HPF,),
            (ADULT, _r("social_insurance_in_city")),
            "Apply for a low-interest housing provident fund loan (公积金贷款) to buy a home. An interview at the "
            "fund centre is required; married applicants bring the marriage certificate.",
            ("mortgage", "home loan", "公积金贷款", "房贷")),
)

# Name pools for the generated citizens: (character, pinyin).
SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
    ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"), ("徐", "Xu"), ("孙", "Sun"),
    ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"), ("郭", "Guo"), ("何", "He"), ("林", "Lin"),
    ("高", "Gao"), ("罗", "Luo"), ("郑", "Zheng"), ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"),
)
GIVEN_MALE: tuple[tuple[str, str], ...] = (
    ("伟", "Wei"), ("强", "Qiang"), ("磊", "Lei"), ("军", "Jun"), ("勇", "Yong"), ("杰", "Jie"),
    ("涛", "Tao"), ("斌", "Bin"), ("浩", "Hao"), ("宇", "Yu"), ("志", "Zhi"), ("明", "Ming"),
    ("建", "Jian"), ("国", "Guo"), ("辉", "Hui"), ("鹏", "Peng"), ("俊", "Jun"), ("峰", "Feng"),
)
GIVEN_FEMALE: tuple[tuple[str, str], ...] = (
    ("芳", "Fang"), ("娜", "Na"), ("敏", "Min"), ("静", "Jing"), ("丽", "Li"), ("婷", "Ting"),
    ("雪", "Xue"), ("慧", "Hui"), ("玲", "Ling"), ("燕", "Yan"), ("霞", "Xia"), ("欣", "Xin"),
    ("佳", "Jia"), ("悦", "Yue"), ("琳", "Lin"), ("颖", "Ying"), ("晓", "Xiao"), ("雨", "Yu"),
)


@dataclass(frozen=True)
class NamedCitizen:
    """A hand-written citizen that tests and eval suites can rely on."""

    national_id: str
    name: str
    name_en: str
    hukou_city: str
    residence_city: str
    marital_status: str
    social_insurance_city: str | None
    id_card_expiry: str
    passport_number: str | None = None
    passport_expiry: str | None = None
    driving_licence_expiry: str | None = None
    children: tuple[tuple[str, str, str], ...] = ()  # (name, gender, date_of_birth)
    business_owner: bool = False
    nationality: str = "CN"
    phone: str = ""
    address: str = ""
    notes: str = ""


# 18-character IDs here are checked by the tests against GB 11643; the last character of each is its
# check digit. Foreign permanent residents use the 2023 format starting with 9.
NAMED_CITIZENS: tuple[NamedCitizen, ...] = (
    NamedCitizen("11010519900307451X", "李明", "Li Ming", "Beijing", "Beijing", "married", "Beijing", "2035-06-18",
                 passport_number="E48213957", passport_expiry="2027-04-20", driving_licence_expiry="2027-01-15",
                 children=(("李小雨", "female", "2026-11-10"),), phone="13800138000",
                 address="北京市朝阳区建国路88号 3单元 1202",
                 notes="The default user. Baby daughter born 2026-11-10; passport expires within six months."),
    NamedCitizen("110105199204186227", "王芳", "Wang Fang", "Beijing", "Beijing", "married", "Beijing", "2032-09-30",
                 passport_number="E51730264", passport_expiry="2031-08-02",
                 children=(("李小雨", "female", "2026-11-10"),), phone="13900139000",
                 address="北京市朝阳区建国路88号 3单元 1202", notes="Li Ming's wife."),
    NamedCitizen("310104199605213514", "张伟", "Zhang Wei", "Shanghai", "Shanghai", "single", "Shanghai", "2036-05-21",
                 passport_number="EA0935712", passport_expiry="2033-03-14", phone="13701370137",
                 address="上海市徐汇区漕溪北路201号 12楼", notes="Single, 30: can marry."),
    NamedCitizen("310115199810024420", "陈静", "Chen Jing", "Shanghai", "Shanghai", "single", "Shanghai", "2028-10-02",
                 phone="13601360136", address="上海市浦东新区世纪大道100号 2号楼 803",
                 notes="Single, 28, no passport: first passport."),
    NamedCitizen("510107200905121330", "刘洋", "Liu Yang", "Chengdu", "Chengdu", "single", None, "2029-05-12",
                 phone="18080808080", address="四川省成都市武侯区人民南路四段12号",
                 notes="Aged 17: too young to marry or start a company."),
    NamedCitizen("420106196508156612", "赵建国", "Zhao Jianguo", "Wuhan", "Wuhan", "married", "Wuhan", "2099-12-31",
                 passport_number="E20458813", passport_expiry="2029-06-30",
                 phone="13507100710", address="湖北省武汉市武昌区中北路108号",
                 notes="Man aged 61: can retire. ID card valid long-term (长期)."),
    NamedCitizen("440106197003082820", "孙丽华", "Sun Lihua", "Guangzhou", "Guangzhou", "widowed", "Guangzhou",
                 "2099-12-31", phone="13802080208", address="广东省广州市天河区天河路385号",
                 notes="Woman aged 56: can retire."),
    NamedCitizen("430102198811303019", "周强", "Zhou Qiang", "Changsha", "Shenzhen", "married", "Shenzhen",
                 "2033-11-30", business_owner=True, passport_number="E39904521", passport_expiry="2030-01-09",
                 driving_licence_expiry="2031-04-01", phone="13926552655",
                 address="广东省深圳市南山区南海大道1088号",
                 notes="Business owner living in Shenzhen with hukou in Changsha: residence permit, hukou move."),
    NamedCitizen("330106199409277023", "吴敏", "Wu Min", "Hangzhou", "Hangzhou", "divorced", "Hangzhou", "2026-12-20",
                 phone="13857185718", address="浙江省杭州市西湖区文三路90号",
                 notes="ID card expires 2026-12-20: renewal."),
    NamedCitizen("320106200403158852", "郑浩", "Zheng Hao", "Nanjing", "Nanjing", "single", None, "2030-03-15",
                 phone="15905250525", address="江苏省南京市鼓楼区中山北路30号",
                 notes="Graduate aged 22, no job yet."),
    NamedCitizen("911826198506120034", "James Miller", "James Miller", "Beijing", "Beijing", "single", "Beijing",
                 "2033-06-12", nationality="GB", phone="13311331133",
                 address="北京市朝阳区东四十条22号 5-601",
                 notes="British permanent resident (外国人永久居留身份证): not eligible for Chinese passports."),
)
