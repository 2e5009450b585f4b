"""Hand-kept word lists: the language knowledge the sandbox catalogues do not carry.

The catalogues name things (products, services, cities); they do not say how people ask for
them. This module holds that: function words that never name a product, city nicknames,
everyday names of shop categories, and generic product nouns in both languages (so that
"耳机" and "headphones" find each other). Names of things themselves are never copied here;
they are read from ``tools.sandbox.*_data`` by :mod:`agents.understanding.catalogue`.
"""

from __future__ import annotations

# Words that carry the request's grammar, politeness or action but never name a product or a
# service; a product or service phrase is what remains once these (and every recognised
# slot value) are set aside.
STOP_EN: frozenset[str] = frozenset("""
a an the this that these those some any my our your his her their its me us i we you he she they it them
and or but so if then than as of for to from in on at by with without about into onto over under via per
is are was were be been being am do does did done have has had having will would shall should can could may
might must need needs want wants wanted like i'd i'm im we're were you're it's that's what's whats
please pls plz thanks thank kindly hi hello hey hiya ok okay sure just also too really very quite still
yet already now right today soon again maybe perhaps actually sorry mean rather instead else
buy buying bought purchase purchased order ordered ordering orders get getting got give find finding show
search searching look looking see check checking tell know let help make put add send sent keep use
recommend suggest compare browse sell sells selling have got available options option something anything
one ones thing things stuff item items product products kind sort type list choose pick
where when what which who whom why how much many long is there there's here
good great nice decent best better cheap cheaper cheapest expensive affordable quality new brand-new
fast faster fastest quick quickest rated rating ratings review reviews reviewed top highest high price prices
budget cost costs yuan rmb cny kuai bucks money under below less more most least max maximum minimum
within around about up least cheaper delivery delivered deliver arrive arrives arriving shipping ship shipped
last week month year yesterday ago earlier recently time times day days
cancel cancelled return returned returning refund back
status track tracking package parcel
don't dont doesn't isn't not no fit fits well anymore mistake changed mind
u ur pls thx wanna gonna gotta
booked booking bookings reserved reservation reservations trip trips travel travelling ticket tickets seat seats
""".split())

STOP_ZH: frozenset[str] = frozenset("""
我 我们 你 你们 他 她 它 咱 咱们 自己 帮 帮我 帮忙 请 请你 麻烦 麻烦你 给 给我 替我 为我 让 叫
的 了 吗 呢 吧 啊 呀 哦 嗯 么 着 过 地 得 和 与 跟 及 或 或者 还是 就 都 也 还 再 又 很 太 挺 最 更
想 想要 要 需要 得 能 能不能 可以 可不可以 会 应该 一下 一个 一款 一台 一双 一件 一些 些 点 一点
个 款 台 双 件 包 盒 箱 罐 瓶 卷 袋 支 本 套 份 只 条 把 部 副 张 位 间
买 买个 买一个 买点 购买 下单 下个单 来 来个 来一个 订 订个 预订 预定 找 找个 找一下 找找 搜 搜一下 搜索
看 看看 看一下 看下 查 查一下 查查 推荐 推荐一下 比较 有 有没有 有什么 什么 哪些 哪个 哪 怎么 怎样 如何
这 这个 那 那个 那家 这家 家 店 就行 就好 好 行 可以 没有 是 在 从 到 去 往 用 对
便宜 最便宜 贵 好评 评分 评价 高 高一点 低 左右 以内 以下 之内 内 不超过 不要 别 超过 预算 价格 价钱 钱 元 块 块钱
送到 能送到 送 到货 发货 快递 物流 订单 单 退 退货 退款 取消 取消掉 掉 不要了 申请 进度 状态
上周 昨天 今天 刚 刚刚 刚才 之前 以前 最近 时候 东西 产品 商品 用品 里 中 类 种 款式
能退 想退 退掉 退了 到哪 到哪了 发货 了没有 没 没有 尺码 不合适 合适 有杂音 杂音
一下子 就是 其实 然后 那么 这样 所以 因为 但是 不过 而且 查询 编号 号码 现在
""".split())

# Markers of a self-correction: values said after the last one replace those said before.
CORRECTION_MARKERS_EN = (r"\bsorry\b", r"\bi mean\b", r"\bi meant\b", r"\bno wait\b", r"\bactually\b",
                         r"\bscratch that\b", r"\bmake (?:it|that)\b", r"\binstead\b", r"\brather\b")
CORRECTION_MARKERS_ZH = ("不对", "哦不", "噢不", "算了", "改成", "改为", "换成", "我是说", "应该是", "不是", "还是")

# City nicknames and historic spellings people still use; keys are matched as whole words (EN)
# or substrings (ZH). Values are the travel sandbox's canonical English names.
CITY_NICKNAMES: dict[str, str] = {
    "帝都": "Beijing", "京城": "Beijing", "首都": "Beijing", "peking": "Beijing",
    "魔都": "Shanghai", "申城": "Shanghai",
    "羊城": "Guangzhou", "花城": "Guangzhou", "canton": "Guangzhou",
    "鹏城": "Shenzhen",
    "杭城": "Hangzhou",
    "蓉城": "Chengdu",
    "sian": "Xi'an",
    "江城": "Wuhan",
    "金陵": "Nanjing", "nanking": "Nanjing",
    "山城": "Chongqing", "雾都": "Chongqing", "chungking": "Chongqing",
    "春城": "Kunming",
    "冰城": "Harbin", "haerbin": "Harbin",
}

# Everyday names of the shop's categories (ids from shop_data.CATEGORIES). A phrase made only
# of one of these (plus a filler like "products"/"用品") names the category, not a product.
CATEGORY_ALIASES: dict[str, tuple[str, ...]] = {
    "electronics": ("electronics", "electronic", "gadgets", "digital products", "数码", "数码产品", "电子产品",
                    "数码电子"),
    "home_appliances": ("home appliances", "appliances", "household appliances", "家电", "家用电器", "电器"),
    "baby_maternity": ("baby products", "baby stuff", "baby and maternity", "maternity products", "母婴",
                       "母婴用品", "婴儿用品"),
    "groceries": ("groceries", "grocery", "snacks", "食品", "生鲜", "食品生鲜", "零食"),
    "clothing": ("clothing", "clothes", "apparel", "fashion", "服装", "衣服", "服装鞋包"),
    "beauty": ("beauty", "cosmetics", "makeup", "skincare", "personal care", "美妆", "化妆品", "护肤品", "个护",
               "美妆个护"),
    "books": ("books", "图书", "书籍"),
    "sports_outdoors": ("sports gear", "sporting goods", "outdoor gear", "sports and outdoors", "运动户外",
                        "运动用品", "户外用品"),
    "toys": ("toys", "toys and games", "玩具"),
    "moving_storage": ("moving supplies", "packing supplies", "storage supplies", "搬家用品", "收纳用品", "搬家收纳"),
    "office": ("office supplies", "stationery", "办公用品", "文具"),
    "pet": ("pet supplies", "pet products", "宠物用品"),
}
# Fillers that may accompany a category name without making it a product phrase.
CATEGORY_FILLERS: frozenset[str] = frozenset({"products", "product", "stuff", "things", "items", "supplies",
                                              "用品", "产品", "类", "里", "中"})

# Generic product nouns in both languages. They bridge the languages (the catalogue names
# products in English and Chinese, but an English shopper writes "phone" where the Chinese
# name says "手机") and mark a phrase as being about a product even when the exact word
# ("earbuds") is in no catalogue name.
PRODUCT_NOUNS: dict[str, tuple[str, ...]] = {
    "phone": ("手机",), "smartphone": ("手机",), "mobile": ("手机",), "cellphone": ("手机",),
    "headphones": ("耳机",), "headphone": ("耳机",), "earbuds": ("耳机",), "earphones": ("耳机",),
    "headset": ("耳机",), "buds": ("耳机",),
    "watch": ("手表",), "smartwatch": ("手表",), "band": ("手环",), "tracker": ("手环",),
    "laptop": ("笔记本电脑", "笔记本"), "notebook": ("笔记本",), "tablet": ("平板",),
    "mouse": ("鼠标",), "keyboard": ("键盘",), "charger": ("充电器",), "cable": ("数据线",),
    "power bank": ("充电宝",), "powerbank": ("充电宝",), "camera": ("相机", "摄像机"), "monitor": ("显示器",),
    "printer": ("打印机",), "ssd": ("硬盘",), "speaker": ("音箱",),
    "air conditioner": ("空调",), "fridge": ("冰箱",), "refrigerator": ("冰箱",),
    "washing machine": ("洗衣机",), "washer": ("洗衣机",), "rice cooker": ("电饭煲",),
    "air purifier": ("空气净化器",), "purifier": ("净化器",), "vacuum": ("吸尘器", "扫地机器人"),
    "robot vacuum": ("扫地机器人",), "kettle": ("电水壶",), "microwave": ("微波炉",),
    "hair dryer": ("吹风机",), "heater": ("取暖器",), "fan": ("塔扇",), "humidifier": ("加湿器",),
    "air fryer": ("空气炸锅",), "dishwasher": ("洗碗机",), "iron": ("熨斗",),
    "formula": ("奶粉",), "milk powder": ("奶粉",), "diapers": ("纸尿裤", "拉拉裤"), "nappies": ("纸尿裤",),
    "wipes": ("湿巾",), "wet wipes": ("湿巾",), "bottle": ("奶瓶",), "stroller": ("婴儿推车",),
    "pram": ("婴儿推车",), "car seat": ("安全座椅",), "crib": ("婴儿床",), "breast pump": ("吸奶器",),
    "nuts": ("坚果",), "rice": ("大米",), "oil": ("油",), "milk": ("牛奶", "纯牛奶"), "coffee": ("咖啡",),
    "tea": ("茶",), "water": ("水",), "chocolate": ("巧克力",), "noodles": ("面",), "cherries": ("车厘子",),
    "dumplings": ("水饺",), "cola": ("可乐",), "coke": ("可乐",), "snacks": ("零食",),
    "jacket": ("羽绒服", "夹克"), "down jacket": ("羽绒服",), "coat": ("大衣",), "shoes": ("鞋",),
    "running shoes": ("跑鞋",), "sneakers": ("休闲鞋", "运动鞋"), "jeans": ("牛仔裤",), "shirt": ("衬衫",),
    "socks": ("袜子",), "scarf": ("围巾",), "boots": ("靴",), "backpack": ("双肩包", "背包"),
    "suitcase": ("登机箱", "行李箱"), "luggage": ("行李箱",), "belt": ("皮带",), "leggings": ("瑜伽裤",),
    "cream": ("面霜",), "serum": ("精华",), "lipstick": ("口红",), "sunscreen": ("防晒霜",),
    "shampoo": ("洗发水",), "toothbrush": ("牙刷",), "electric toothbrush": ("电动牙刷",),
    "toothpaste": ("牙膏",), "shaver": ("剃须刀",), "perfume": ("香水",), "face wash": ("洁面",),
    "book": ("书",), "novel": ("小说",), "dictionary": ("词典", "字典"),
    "yoga mat": ("瑜伽垫",), "dumbbells": ("哑铃",), "racket": ("球拍",), "basketball": ("篮球",),
    "tent": ("帐篷",), "sleeping bag": ("睡袋",), "bike": ("山地车", "单车"), "treadmill": ("走步机",),
    "goggles": ("泳镜",), "flask": ("保温壶",), "headlamp": ("头灯",),
    "lego": ("乐高",), "puzzle": ("拼图",), "doll": ("娃娃",), "robot": ("机器人",), "blocks": ("积木",),
    "moving boxes": ("搬家纸箱",), "boxes": ("纸箱", "收纳箱"), "box": ("纸箱", "收纳箱"),
    "packing tape": ("封箱胶带",), "tape": ("胶带",), "bubble wrap": ("气泡膜",), "storage box": ("收纳箱",),
    "vacuum bags": ("压缩袋",), "marker": ("记号笔",),
    "paper": ("复印纸",), "stapler": ("订书机",), "pens": ("中性笔",), "pen": ("笔",), "lamp": ("台灯",),
    "chair": ("椅",), "desk": ("桌",), "calculator": ("计算器",), "shredder": ("碎纸机",),
    "cat food": ("猫粮",), "dog food": ("狗粮",), "cat litter": ("猫砂",), "litter": ("猫砂",),
    "litter box": ("猫砂盆",), "cat tree": ("猫爬架",), "leash": ("牵引绳",), "pet feeder": ("喂食器",),
    "fountain": ("饮水机",), "treats": ("猫条", "肉干"),
}

# Fixed-phrase signals of a preference, per language (matched on the lower-cased text).
PREFERENCE_PATTERNS: dict[str, tuple[str, ...]] = {
    "fastest_delivery": (r"\b(?:fast|fastest|quick|quickest|express|speedy|rapid)\s+(?:delivery|shipping)\b",
                         r"\b(?:delivers?|ships?|arrives?)\s+(?:the\s+)?(?:fastest|quickest|soonest)\b",
                         r"送得最快", r"最快(?:能)?送到", r"发货最快", r"配送最快", r"到货最快", r"最快到货"),
    "preferred_merchant": (r"\b(?:usual|regular|preferred|favou?rite|normal|trusted)\s+(?:shop|store|seller|"
                           r"merchant|place|vendor)s?\b", r"\bwhere i (?:usually|normally|always) (?:buy|shop)\b",
                           r"常买的", r"常用的", r"经常买的", r"老地方", r"常去的", r"平时买的", r"常买那家"),
    "cheapest": (r"\bcheapest\b", r"\bcheap\b", r"\bcheaper\b(?!\s+than)", r"\blowest\s+(?:price|fare|cost)s?\b",
                 r"\bas cheap as possible\b", r"\bleast expensive\b", r"\bbest price\b", r"\bbudget (?:option|one)\b",
                 r"最便宜", r"便宜点", r"便宜一点", r"便宜些", r"便宜的", r"价格最低", r"最低价", r"最实惠", r"最省钱",
                 r"票价最低"),
    "earliest": (r"\bearliest\b", r"\bas early as possible\b", r"\bfirst (?:train|flight|departure|one)\b(?!\s+class)",
                 r"\bearly\b(?!\s+(?:morning|afternoon|evening))", r"最早", r"越早越好", r"早一点", r"早点", r"尽早",
                 r"头班"),
    "latest": (r"\blatest\b", r"\blast (?:train|flight|departure)\b", r"\bas late as possible\b", r"最晚",
               r"越晚越好", r"晚一点", r"末班"),
    "fastest": (r"\bfastest\b", r"\bquickest\b", r"\bshortest\b", r"最快", r"用时最短", r"时间最短", r"最短"),
    "best_rated": (r"\bbest[- ]rated\b", r"\bhighest[- ]rated\b", r"\btop[- ]rated\b", r"\bbest[- ]reviewed\b",
                   r"\bbest reviews?\b", r"\bhighest (?:rating|score)\b", r"\bmost popular\b",
                   r"\bbest\b(?!\s+(?:price|deal|way))", r"评分最高", r"评价最好", r"评价最高", r"好评最多", r"口碑最好",
                   r"评分高", r"好评多", r"评价高", r"评分好", r"最好的", r"口碑好"),
}

SEAT_CLASS_PATTERNS: dict[str, tuple[str, ...]] = {
    "business": (r"\bbusiness(?:\s+class|\s+seats?)\b", r"\bbiz class\b", r"商务舱", r"商务座", r"公务舱"),
    "first": (r"\bfirst[- ]class\b", r"\b1st class\b", r"头等舱", r"一等座", r"一等舱"),
    "second": (r"\bsecond[- ]class\b", r"\b2nd class\b", r"\bstandard class\b", r"二等座", r"二等"),
    "economy": (r"\beconomy(?:\s+class)?\b", r"\bcoach\b", r"经济舱"),
}

# Count words that measure an amount ("3 packs of tape", "两箱水"): with a number they are the
# quantity's unit, not part of the product.
MEASURE_WORDS_EN: frozenset[str] = frozenset("""
pack packs box boxes bag bags bottle bottles roll rolls piece pieces pcs pair pairs set sets can cans carton cartons
unit units case cases jar jars tin tins tube tubes bar bars sheet sheets ream reams dozen loaf loaves kg
""".split())
MEASURE_WORDS_ZH = "张个件台双包盒箱罐瓶卷袋支本套份只条把部副位间桶听提瓶块片枚顶辆"

# How people name the shop's merchants beyond the names in shop_data (the full Chinese and
# English names are read from there). A short name never counts where it starts a brand name
# ("京东京造", "JD Jingzao" are products, not the JD store).
MERCHANT_ALIASES: dict[str, tuple[str, ...]] = {
    "M001": ("京东", "jd", "jd.com", "jingdong"),
    "M002": ("天猫", "tmall"),
    "M003": ("苏宁", "suning"),
    "M004": ("王府井", "wangfujing"),
    "M005": ("当当", "dangdang"),
    "M006": ("小米之家", "小米官方店", "xiaomi home", "xiaomi store", "mi store", "mi home"),
    "M007": ("华为授权店", "华为体验店", "华为门店", "huawei store", "huawei authorised store"),
    "M008": ("孩子王", "kidswant"),
    "M009": ("波奇", "boqii"),
    "M010": ("滔搏", "topsports"),
    "M011": ("盒马", "freshippo", "hema"),
    "M012": ("办公伙伴", "office partner"),
    "M013": ("优品折扣仓", "youpin"),
    "M014": ("屈臣氏", "watsons"),
    "M015": ("国美", "gome"),
    "M016": ("顺丰包装", "sf packaging store"),
    "M017": ("超值数码", "chaozhi"),
    "M018": ("宜家", "ikea"),
    "M019": ("全球好物", "global goods"),
    "M020": ("唯品会", "vipshop"),
}

# Words for whom a product is ("for my baby", "给宝宝"): they describe, they do not name.
AUDIENCE_WORDS: frozenset[str] = frozenset({"baby", "babies", "kid", "kids", "child", "children", "toddler", "mom",
                                            "dad", "wife", "husband", "宝宝", "婴儿", "儿童", "孩子", "小孩",
                                            "宝贝", "老人", "老婆", "老公"})

# How people say a life event happened or is coming, beyond the keywords in gov_data
# (phrases, matched like the catalogue's own keywords).
LIFE_EVENT_WORDS: dict[str, tuple[str, ...]] = {
    "having-a-baby": ("生了孩子", "孩子出生", "添宝宝", "怀孕", "生娃", "expecting a baby", "pregnant",
                      "was born"),
    "moving-city": ("搬到", "搬去", "调到", "relocating", "move to", "moving to"),
    "starting-business": ("小店", "开个店", "开家店", "开餐馆", "开饭馆", "open a shop", "open a restaurant",
                          "own business"),
    "getting-married": ("要结婚", "办婚礼", "get married", "getting married"),
    "retiring": ("要退休", "退休了", "retire"),
    "lost-id-card": ("身份证丢", "身份证被偷", "丢了身份证", "lost my id", "id card was stolen"),
    "death-in-family": ("去世", "过世", "离世", "passed away", "died"),
    "buying-car": ("买车", "买了车", "提车", "new car", "bought a car"),
    "graduating-first-job": ("毕业", "找到工作", "first job", "just graduated"),
    "buying-home": ("买房", "买了房", "first apartment", "buying a house", "buying a flat"),
}
