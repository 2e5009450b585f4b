"""Static vocabularies of the travel sandbox: cities, airports, stations, airlines, aircraft,
hotel brands and review snippets.

Kept apart from the service so the service module holds behaviour only. Everything here is
plain data: the timetable, fares and hotels are *derived* from it with a seeded hash, so the
same seed always gives the same world.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Point:
    """An airport or railway station."""

    code: str
    name_zh: str
    name_en: str

    def view(self) -> dict[str, str]:
        return {"code": self.code, "name": f"{self.name_zh} {self.name_en}"}


@dataclass(frozen=True)
class District:
    """A hotel area of a city: administrative district, landmark/business area, street, metro line."""

    district_zh: str
    district_en: str
    area_zh: str
    area_en: str
    street_zh: str
    metro_line: str


@dataclass(frozen=True)
class City:
    name: str  # English name: the id used everywhere
    name_zh: str
    iata: str  # main city/airport code
    hotel_code: str  # the XX of hotel ids H-XX-01
    lat: float
    lon: float
    size: int  # 1..3, how much traffic the city generates
    area_code: str  # telephone area code
    airports: tuple[Point, ...]
    stations: tuple[Point, ...]
    city_telecode: str  # 12306 city-level telecode
    districts: tuple[District, ...]
    winter_peak: bool = False  # a winter tourism city (Harbin ice festival): pricier Dec 20 - Feb 28

    def view(self) -> dict[str, object]:
        return {"name": self.name, "name_zh": self.name_zh, "iata": self.iata,
                "airports": [p.view() for p in self.airports],
                "stations": [p.view() for p in self.stations]}


def _d(*fields: str) -> District:
    return District(*fields)


CITIES: tuple[City, ...] = (
    City("Beijing", "北京", "PEK", "BJ", 39.90, 116.40, 3, "010",
         (Point("PEK", "北京首都国际机场", "Beijing Capital International Airport"),
          Point("PKX", "北京大兴国际机场", "Beijing Daxing International Airport")),
         (Point("VNP", "北京南", "Beijing South"), Point("BXP", "北京西", "Beijing West")), "BJP",
         (_d("东城区", "Dongcheng", "王府井", "Wangfujing", "王府井大街", "1"),
          _d("朝阳区", "Chaoyang", "国贸", "Guomao CBD", "建国门外大街", "1"),
          _d("朝阳区", "Chaoyang", "三里屯", "Sanlitun", "工人体育场北路", "10"),
          _d("海淀区", "Haidian", "中关村", "Zhongguancun", "中关村大街", "4"),
          _d("丰台区", "Fengtai", "北京南站", "Beijing South Station", "永外大街", "4"),
          _d("西城区", "Xicheng", "金融街", "Financial Street", "金融大街", "2"))),
    City("Shanghai", "上海", "SHA", "SH", 31.23, 121.47, 3, "021",
         (Point("SHA", "上海虹桥国际机场", "Shanghai Hongqiao International Airport"),
          Point("PVG", "上海浦东国际机场", "Shanghai Pudong International Airport")),
         (Point("AOH", "上海虹桥", "Shanghai Hongqiao"), Point("SHH", "上海", "Shanghai")), "SHH",
         (_d("黄浦区", "Huangpu", "外滩", "The Bund", "中山东一路", "10"),
          _d("浦东新区", "Pudong", "陆家嘴", "Lujiazui", "世纪大道", "2"),
          _d("静安区", "Jing'an", "南京西路", "West Nanjing Road", "南京西路", "2"),
          _d("徐汇区", "Xuhui", "徐家汇", "Xujiahui", "漕溪北路", "9"),
          _d("闵行区", "Minhang", "虹桥枢纽", "Hongqiao Hub", "申虹路", "10"))),
    City("Guangzhou", "广州", "CAN", "GZ", 23.13, 113.26, 3, "020",
         (Point("CAN", "广州白云国际机场", "Guangzhou Baiyun International Airport"),),
         (Point("IZQ", "广州南", "Guangzhou South"), Point("GZQ", "广州", "Guangzhou")), "GZQ",
         (_d("天河区", "Tianhe", "珠江新城", "Zhujiang New Town", "华夏路", "3"),
          _d("越秀区", "Yuexiu", "北京路", "Beijing Road", "北京路", "6"),
          _d("海珠区", "Haizhu", "琶洲", "Pazhou", "新港东路", "8"),
          _d("番禺区", "Panyu", "广州南站", "Guangzhou South Station", "石山大道", "2"),
          _d("荔湾区", "Liwan", "沙面", "Shamian", "沙面南街", "1"))),
    City("Shenzhen", "深圳", "SZX", "SZ", 22.54, 114.06, 3, "0755",
         (Point("SZX", "深圳宝安国际机场", "Shenzhen Bao'an International Airport"),),
         (Point("IOQ", "深圳北", "Shenzhen North"), Point("SZQ", "深圳", "Shenzhen")), "SZQ",
         (_d("福田区", "Futian", "会展中心", "Convention Center", "福华三路", "1"),
          _d("南山区", "Nanshan", "科技园", "Science Park", "深南大道", "1"),
          _d("罗湖区", "Luohu", "东门", "Dongmen", "解放路", "3"),
          _d("龙华区", "Longhua", "深圳北站", "Shenzhen North Station", "致远中路", "4"),
          _d("宝安区", "Bao'an", "宝安中心", "Bao'an Center", "新湖路", "1"))),
    City("Hangzhou", "杭州", "HGH", "HZ", 30.27, 120.16, 2, "0571",
         (Point("HGH", "杭州萧山国际机场", "Hangzhou Xiaoshan International Airport"),),
         (Point("HGH", "杭州东", "Hangzhou East"), Point("XHH", "杭州西", "Hangzhou West")), "HZH",
         (_d("西湖区", "Xihu", "西湖", "West Lake", "北山街", "1"),
          _d("上城区", "Shangcheng", "湖滨", "Hubin", "延安路", "1"),
          _d("滨江区", "Binjiang", "滨江", "Binjiang", "江南大道", "1"),
          _d("上城区", "Shangcheng", "杭州东站", "Hangzhou East Station", "天城路", "4"),
          _d("余杭区", "Yuhang", "未来科技城", "Future Sci-Tech City", "文一西路", "5"))),
    City("Chengdu", "成都", "CTU", "CD", 30.57, 104.07, 3, "028",
         (Point("CTU", "成都双流国际机场", "Chengdu Shuangliu International Airport"),
          Point("TFU", "成都天府国际机场", "Chengdu Tianfu International Airport")),
         (Point("ICW", "成都东", "Chengdu East"), Point("CNW", "成都南", "Chengdu South")), "CDW",
         (_d("锦江区", "Jinjiang", "春熙路", "Chunxi Road", "红星路", "2"),
          _d("青羊区", "Qingyang", "宽窄巷子", "Kuanzhai Alley", "长顺上街", "4"),
          _d("武侯区", "Wuhou", "武侯祠", "Wuhou Shrine", "武侯祠大街", "3"),
          _d("高新区", "Hi-tech Zone", "天府软件园", "Tianfu Software Park", "天府大道", "1"),
          _d("成华区", "Chenghua", "成都东站", "Chengdu East Station", "邛崃山路", "7"))),
    City("Xi'an", "西安", "XIY", "XA", 34.34, 108.94, 2, "029",
         (Point("XIY", "西安咸阳国际机场", "Xi'an Xianyang International Airport"),),
         (Point("EAY", "西安北", "Xi'an North"), Point("XAY", "西安", "Xi'an")), "XAY",
         (_d("碑林区", "Beilin", "钟楼", "Bell Tower", "南大街", "2"),
          _d("雁塔区", "Yanta", "大雁塔", "Big Wild Goose Pagoda", "雁塔南路", "3"),
          _d("未央区", "Weiyang", "西安北站", "Xi'an North Station", "元朔路", "4"),
          _d("莲湖区", "Lianhu", "回民街", "Muslim Quarter", "北院门", "2"),
          _d("雁塔区", "Yanta", "曲江", "Qujiang", "芙蓉西路", "4"))),
    City("Wuhan", "武汉", "WUH", "WH", 30.59, 114.31, 2, "027",
         (Point("WUH", "武汉天河国际机场", "Wuhan Tianhe International Airport"),),
         (Point("WHN", "武汉", "Wuhan"), Point("HKN", "汉口", "Hankou")), "WHN",
         (_d("武昌区", "Wuchang", "黄鹤楼", "Yellow Crane Tower", "武珞路", "4"),
          _d("江汉区", "Jianghan", "江汉路", "Jianghan Road", "中山大道", "2"),
          _d("洪山区", "Hongshan", "光谷", "Optics Valley", "珞喻路", "2"),
          _d("汉阳区", "Hanyang", "钟家村", "Zhongjiacun", "汉阳大道", "4"),
          _d("洪山区", "Hongshan", "武汉站", "Wuhan Station", "白云路", "4"))),
    City("Nanjing", "南京", "NKG", "NJ", 32.06, 118.80, 2, "025",
         (Point("NKG", "南京禄口国际机场", "Nanjing Lukou International Airport"),),
         (Point("NKH", "南京南", "Nanjing South"), Point("NJH", "南京", "Nanjing")), "NJH",
         (_d("秦淮区", "Qinhuai", "夫子庙", "Confucius Temple", "贡院街", "3"),
          _d("玄武区", "Xuanwu", "玄武湖", "Xuanwu Lake", "中央路", "1"),
          _d("秦淮区", "Qinhuai", "新街口", "Xinjiekou", "中山南路", "1"),
          _d("雨花台区", "Yuhuatai", "南京南站", "Nanjing South Station", "玉兰路", "1"),
          _d("建邺区", "Jianye", "河西", "Hexi", "江东中路", "2"))),
    City("Chongqing", "重庆", "CKG", "CQ", 29.56, 106.55, 3, "023",
         (Point("CKG", "重庆江北国际机场", "Chongqing Jiangbei International Airport"),),
         (Point("CUW", "重庆北", "Chongqing North"), Point("CXW", "重庆西", "Chongqing West")), "CQW",
         (_d("渝中区", "Yuzhong", "解放碑", "Jiefangbei", "民族路", "2"),
          _d("渝中区", "Yuzhong", "洪崖洞", "Hongyadong", "嘉陵江滨江路", "1"),
          _d("江北区", "Jiangbei", "观音桥", "Guanyinqiao", "建新北路", "3"),
          _d("渝北区", "Yubei", "重庆北站", "Chongqing North Station", "昆仑大道", "3"),
          _d("南岸区", "Nan'an", "南滨路", "Nanbin Road", "南滨路", "6"))),
    City("Kunming", "昆明", "KMG", "KM", 25.04, 102.71, 2, "0871",
         (Point("KMG", "昆明长水国际机场", "Kunming Changshui International Airport"),),
         (Point("KOM", "昆明南", "Kunming South"), Point("KMM", "昆明", "Kunming")), "KMM",
         (_d("五华区", "Wuhua", "翠湖", "Green Lake", "翠湖南路", "2"),
          _d("盘龙区", "Panlong", "北京路", "Beijing Road", "北京路", "2"),
          _d("官渡区", "Guandu", "长水机场", "Changshui Airport", "机场大道", "6"),
          _d("呈贡区", "Chenggong", "昆明南站", "Kunming South Station", "春融街", "1"),
          _d("西山区", "Xishan", "滇池", "Dianchi Lake", "滇池路", "3"))),
    City("Harbin", "哈尔滨", "HRB", "HB", 45.80, 126.53, 1, "0451",
         (Point("HRB", "哈尔滨太平国际机场", "Harbin Taiping International Airport"),),
         (Point("VAB", "哈尔滨西", "Harbin West"), Point("HBB", "哈尔滨", "Harbin")), "HBB",
         (_d("道里区", "Daoli", "中央大街", "Central Street", "中央大街", "2"),
          _d("南岗区", "Nangang", "哈尔滨站", "Harbin Station", "红军街", "1"),
          _d("松北区", "Songbei", "冰雪大世界", "Ice and Snow World", "太阳岛路", "2"),
          _d("道外区", "Daowai", "老道外", "Old Daowai", "靖宇街", "1"),
          _d("南岗区", "Nangang", "哈西站", "Harbin West Station", "哈西大街", "3")),
         winter_peak=True),
)

CITY_BY_NAME: dict[str, City] = {c.name: c for c in CITIES}


def _norm(value: str) -> str:
    """Lower-case and drop spaces, apostrophes, hyphens and a trailing 市 (Xi'an = xian = XI AN = 西安市)."""
    value = value.strip().lower()
    value = re.sub(r"[\s'’`\-_.]", "", value)
    return value[:-1] if value.endswith("市") and len(value) > 2 else value


def _aliases() -> dict[str, City]:
    """Every accepted spelling of every city: English, Chinese, IATA and station telecodes."""
    table: dict[str, City] = {}
    for city in CITIES:
        names = {city.name, city.name_zh, city.iata, city.city_telecode,
                 *(p.code for p in city.airports), *(p.code for p in city.stations),
                 *(p.name_zh for p in city.stations)}
        for name in names:
            key = _norm(name)
            if table.get(key, city) is not city:
                raise ValueError(f"city alias {name!r} is ambiguous")
            table[key] = city
    return table


CITY_ALIASES: dict[str, City] = _aliases()


def find_city(value: str) -> City | None:
    """The city named by ``value`` (English any case, Chinese, IATA or station code), or None."""
    return CITY_ALIASES.get(_norm(value))


def great_circle_km(a: City, b: City) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


# --- carriers and equipment --------------------------------------------------------------


@dataclass(frozen=True)
class Airline:
    code: str
    name_zh: str
    name_en: str
    ticket_prefix: str  # the 3-digit airline accounting code that starts e-ticket numbers
    hubs: tuple[str, ...]


AIRLINES: tuple[Airline, ...] = (
    Airline("CA", "中国国际航空", "Air China", "999", ("Beijing", "Chengdu", "Chongqing", "Hangzhou")),
    Airline("MU", "中国东方航空", "China Eastern", "781", ("Shanghai", "Kunming", "Xi'an", "Wuhan", "Nanjing")),
    Airline("CZ", "中国南方航空", "China Southern", "784", ("Guangzhou", "Shenzhen", "Wuhan", "Harbin", "Chongqing")),
    Airline("HU", "海南航空", "Hainan Airlines", "880", ("Beijing", "Xi'an", "Harbin")),
    Airline("3U", "四川航空", "Sichuan Airlines", "876", ("Chengdu", "Chongqing", "Kunming")),
    Airline("ZH", "深圳航空", "Shenzhen Airlines", "479", ("Shenzhen", "Nanjing")),
    Airline("FM", "上海航空", "Shanghai Airlines", "774", ("Shanghai",)),
    Airline("HO", "吉祥航空", "Juneyao Air", "018", ("Shanghai", "Nanjing")),
    Airline("MF", "厦门航空", "XiamenAir", "731", ("Hangzhou",)),
    Airline("KY", "昆明航空", "Kunming Airlines", "833", ("Kunming",)),
)
AIRLINE_BY_CODE: dict[str, Airline] = {a.code: a for a in AIRLINES}
BIG_THREE = ("CA", "MU", "CZ")


@dataclass(frozen=True)
class Equipment:
    """An aircraft or train-set type and the seats the sandbox sells on it, per class."""

    name: str
    seats: tuple[tuple[str, int], ...]


NARROWBODIES: tuple[Equipment, ...] = (
    Equipment("A320neo", (("business", 8), ("economy", 150))),
    Equipment("B737-800", (("business", 8), ("economy", 159))),
    Equipment("A321", (("business", 12), ("economy", 170))),
    Equipment("C919", (("business", 8), ("economy", 156))),
)
WIDEBODIES: tuple[Equipment, ...] = (
    Equipment("A330-300", (("business", 30), ("economy", 271))),
    Equipment("B787-9", (("first", 4), ("business", 26), ("economy", 244))),
    Equipment("A350-900", (("first", 4), ("business", 28), ("economy", 280))),
    Equipment("B777-300ER", (("first", 8), ("business", 42), ("economy", 261))),
)
TRAINSETS: dict[str, tuple[Equipment, ...]] = {
    "G": (Equipment("CR400AF 复兴号", (("business", 10), ("first", 56), ("second", 420))),
          Equipment("CR400BF 复兴号", (("business", 10), ("first", 56), ("second", 420))),
          Equipment("CRH380A 和谐号", (("business", 10), ("first", 48), ("second", 380)))),
    "D": (Equipment("CRH2A 和谐号", (("first", 48), ("second", 360))),
          Equipment("CR300AF 复兴号", (("first", 40), ("second", 376)))),
}

FLIGHT_CLASSES = ("economy", "business", "first")
TRAIN_CLASSES = ("second", "first", "business")

# --- dates -------------------------------------------------------------------------------

RANGE_START = date(2026, 12, 1)
RANGE_END = date(2027, 2, 28)
SPRING_FESTIVAL = date(2027, 2, 6)
# The Spring Festival travel rush (春运): the outbound peak a few days before New Year's Eve
# and the return peak a week after; (peak day, half-width in days).
FESTIVAL_PEAKS: tuple[tuple[date, int], ...] = ((date(2027, 2, 3), 13), (date(2027, 2, 12), 8))
WINTER_SEASON = (date(2026, 12, 20), date(2027, 2, 28))


def festival_pressure(day: date) -> float:
    """0 on ordinary days, rising to 1 on the peak days of the Spring Festival rush."""
    return max(0.0, *(1 - abs((day - peak).days) / width for peak, width in FESTIVAL_PEAKS))


# --- hotels ------------------------------------------------------------------------------

# (stars, (brand_zh, brand_en, suffix_zh)) — fictional brands, named the way Chinese chains are.
HOTEL_BRANDS: dict[int, tuple[tuple[str, str], ...]] = {
    5: (("云璟酒店", "Yunjing Hotel"), ("瑞庭国际大酒店", "Ruiting International Hotel"),
        ("华彩万象酒店", "Huacai Grand Hotel")),
    4: (("锦悦酒店", "Jinyue Hotel"), ("枫丹精选酒店", "Fengdan Select Hotel"), ("澜庭酒店", "Lanting Hotel")),
    3: (("途安商务酒店", "Tu'an Business Hotel"), ("悦居酒店", "Yueju Hotel"), ("栖舍酒店", "Qishe Hotel")),
    2: (("如意快捷酒店", "Ruyi Express Inn"), ("宜程连锁酒店", "Yicheng Inn")),
}
# Base nightly price range in yuan per star level, before the city factor.
STAR_PRICE_YUAN: dict[int, tuple[int, int]] = {5: (880, 1680), 4: (420, 820), 3: (240, 420), 2: (150, 240)}
STAR_RATING: dict[int, tuple[int, int]] = {5: (45, 49), 4: (43, 48), 3: (40, 47), 2: (36, 45)}  # tenths
CITY_PRICE_PERCENT: dict[str, int] = {"Beijing": 120, "Shanghai": 125, "Shenzhen": 110, "Guangzhou": 100,
                                      "Hangzhou": 105, "Chengdu": 90, "Xi'an": 85, "Wuhan": 85,
                                      "Nanjing": 95, "Chongqing": 85, "Kunming": 80, "Harbin": 80}

AMENITIES_BY_STARS: dict[int, tuple[str, ...]] = {
    5: ("wifi", "air_conditioning", "24h_front_desk", "breakfast", "restaurant", "gym", "pool", "spa",
        "parking", "business_center", "laundry", "luggage_storage", "airport_shuttle", "ev_charging"),
    4: ("wifi", "air_conditioning", "24h_front_desk", "breakfast", "restaurant", "gym", "parking",
        "laundry", "luggage_storage", "business_center", "family_rooms"),
    3: ("wifi", "air_conditioning", "24h_front_desk", "breakfast", "laundry", "luggage_storage", "parking"),
    2: ("wifi", "air_conditioning", "24h_front_desk", "luggage_storage"),
}
ESSENTIAL_AMENITIES = ("wifi", "air_conditioning", "24h_front_desk")

HOTEL_PITCH: dict[int, tuple[str, str]] = {
    5: ("酒店设有行政酒廊、室内恒温泳池和水疗中心，客房可俯瞰城市景观。",
        "Executive lounge, heated indoor pool and spa; rooms look out over the skyline."),
    4: ("酒店提供丰盛自助早餐和健身房，适合商务与家庭出行。",
        "A generous breakfast buffet and a gym; suits business trips and families alike."),
    3: ("房间干净整洁，性价比高，前台24小时服务。",
        "Clean, simple rooms at a fair price, with a 24-hour front desk."),
    2: ("经济实惠的连锁快捷酒店，交通便利。",
        "A budget chain inn with easy transport links."),
}

REVIEW_AUTHORS = ("张**", "王先生", "Lily W.", "旅行者8821", "陈女士", "Mark T.", "刘**", "小周爱旅行",
                  "Hiroshi K.", "赵**", "Anna S.", "出差的老李")

# (rating, language, text)
REVIEW_SNIPPETS: tuple[tuple[int, str, str], ...] = (
    (5, "zh", "位置非常好，出门就是地铁站，前台服务热情，下次还会再来。"),
    (5, "en", "Great location right next to the metro. Friendly front desk and a spotless room."),
    (4, "zh", "房间宽敞，床很舒服，早餐品种可以再丰富一些。"),
    (4, "en", "Comfortable bed and quiet room. Breakfast was fine but a little repetitive."),
    (3, "zh", "隔音一般，晚上能听到走廊的声音，其他还行。"),
    (3, "en", "Decent value. The walls are thin and the Wi-Fi dropped a few times."),
    (5, "zh", "带父母来旅游，酒店主动升级了房型，很贴心。"),
    (4, "en", "Check-in was quick and they let us store luggage after check-out. Would stay again."),
    (2, "zh", "空调有点吵，卫生间有异味，希望改进。"),
    (2, "en", "Room smelled of smoke even though it was non-smoking. Staff moved us after an hour."),
    (5, "en", "Stunning view from the 30th floor and the best breakfast buffet I've had in China."),
    (4, "zh", "离高铁站近，赶早班车很方便，性价比高。"),
    (3, "zh", "停车位比较紧张，周末需要提前预约。"),
    (4, "en", "Convenient for the trade fair. Taxi line outside can be long in the evening."),
    (5, "zh", "服务员帮忙叫了车还送了雨伞，细节做得很好。"),
    (1, "zh", "预订的大床房到店说没有了，只能换成双床，体验很差。"),
)
