"""Fixed reference data and behavioural knobs of the synthetic bank.

Everything the generator treats as "how Indian retail banking looks" lives here, in plain
tables, so that realism can be tuned (or reviewed) without reading the sampling code. The
numbers are plausible orders of magnitude, not statistics of any real bank.

Persona parameters are *means*: every customer draws their own values around them with wide
spread (see personas.py), so personas overlap and cannot be read off a single feature.
"""

from __future__ import annotations

import numpy as np

# --------------------------------------------------------------------------------------------
# Code sets shared with dbt (lower-case snake codes; seeds/ carries labels and attributes).
# --------------------------------------------------------------------------------------------

CHANNELS = ["card_present", "online", "atm_withdrawal", "transfer", "instant_payment"]
CH_CARD, CH_ONLINE, CH_ATM, CH_TRANSFER, CH_INSTANT = range(5)

PAYMENT_TYPES = ["credit_card", "debit_card", "instant_payment", "net_banking"]
PT_CREDIT, PT_DEBIT, PT_INSTANT, PT_NETBANKING = range(4)

ACCOUNT_TYPES = ["current", "savings", "credit_card", "loan", "deposit", "foreign_currency"]

# Merchant spend categories (the ones a merchant can have), then the two merchant-less ones.
MERCHANT_CATEGORIES = [
    "groceries",
    "bills",
    "health_wellness",
    "fuel",
    "food",
    "entertainment",
    "apparel",
    "electronics",
    "travel",
    "others",
]
CATEGORIES = [*MERCHANT_CATEGORIES, "cash", "transfers"]
CAT_CASH = CATEGORIES.index("cash")
CAT_TRANSFERS = CATEGORIES.index("transfers")
N_MERCHANT_CATEGORIES = len(MERCHANT_CATEGORIES)

# ISO 18245 merchant category codes per category (first one is the most common).
CATEGORY_MCCS: dict[str, list[str]] = {
    "groceries": ["5411", "5499", "5422", "5441"],
    "bills": ["4900", "4814", "4899", "6300"],
    "health_wellness": ["5912", "8011", "8062", "7298", "8021"],
    "fuel": ["5541", "5542"],
    "food": ["5812", "5814", "5813"],
    "entertainment": ["7832", "7922", "7996", "5815"],
    "apparel": ["5651", "5691", "5661", "5311"],
    "electronics": ["5732", "5722", "5045"],
    "travel": ["4511", "7011", "4722", "4112", "4121"],
    "others": ["5999", "5942", "5944", "5200", "8220"],
    "cash": ["6011"],
    "transfers": ["4829"],
}

# Median ticket (INR) and log-normal sigma per category, before persona/income multipliers.
CATEGORY_AMOUNT: dict[str, tuple[float, float]] = {
    "groceries": (850.0, 0.75),
    "bills": (1400.0, 0.65),
    "health_wellness": (1100.0, 0.95),
    "fuel": (1500.0, 0.50),
    "food": (480.0, 0.75),
    "entertainment": (700.0, 0.80),
    "apparel": (2100.0, 0.85),
    "electronics": (6500.0, 1.05),
    "travel": (5200.0, 1.00),
    "others": (850.0, 0.95),
    "cash": (3000.0, 0.65),
    "transfers": (5000.0, 1.05),
}

# Share of merchants per category in the merchant universe.
MERCHANT_CATEGORY_SHARE = np.array([0.17, 0.06, 0.09, 0.06, 0.20, 0.07, 0.11, 0.06, 0.08, 0.10])

# Channel affinity for each merchant category (rows: channels; ATM and transfer rows unused).
# Multiplies the customer's own category mix, so online carts hold electronics and travel,
# and UPI at the counter holds groceries and food.
CHANNEL_CATEGORY_AFFINITY = np.array(
    [
        [1.2, 0.4, 1.1, 1.6, 1.1, 0.8, 1.2, 0.8, 0.5, 1.0],  # card_present
        [0.5, 1.8, 0.7, 0.05, 0.9, 1.4, 1.0, 1.6, 1.8, 1.0],  # online
        [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],  # atm_withdrawal (cash only)
        [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],  # transfer (transfers only)
        [1.5, 1.5, 1.0, 0.8, 1.4, 0.7, 0.6, 0.3, 0.4, 1.2],  # instant_payment (UPI)
    ]
)

# Calendar-month activity multiplier (Jan..Dec): festive season (Dussehra/Diwali) in Oct-Nov,
# year-end in December, summer holidays in May-June.
MONTH_ACTIVITY = np.array([0.95, 0.90, 0.98, 0.95, 1.05, 1.04, 0.94, 0.96, 0.98, 1.12, 1.15, 1.10])
MONTH_ACTIVITY = MONTH_ACTIVITY / MONTH_ACTIVITY.mean()

# Calendar-month x merchant-category multipliers on the category mix.
MONTH_CATEGORY = np.ones((12, N_MERCHANT_CATEGORIES))
_cat = {c: i for i, c in enumerate(MERCHANT_CATEGORIES)}
for _m in (9, 10):  # Oct, Nov: festive shopping
    MONTH_CATEGORY[_m, _cat["apparel"]] = 1.7
    MONTH_CATEGORY[_m, _cat["electronics"]] = 1.8
    MONTH_CATEGORY[_m, _cat["others"]] = 1.3  # jewellery, gifts
for _m in (4, 5, 11):  # May, Jun, Dec: travel
    MONTH_CATEGORY[_m, _cat["travel"]] = 1.8
    MONTH_CATEGORY[_m, _cat["entertainment"]] = 1.2
MONTH_CATEGORY[3, _cat["bills"]] = 1.2  # April: insurance renewals, school fees
# Ticket-size multiplier per calendar month (festive purchases are larger).
MONTH_TICKET = np.array([1.0, 0.97, 1.0, 1.0, 1.04, 1.03, 0.98, 0.98, 1.0, 1.10, 1.12, 1.06])
# Cross-border propensity per calendar month (holiday travel).
MONTH_CROSS_BORDER = np.array([0.9, 0.8, 0.9, 1.0, 1.5, 1.4, 0.9, 0.8, 0.8, 1.0, 1.1, 1.6])
MONTH_CROSS_BORDER = MONTH_CROSS_BORDER / MONTH_CROSS_BORDER.mean()

# Hour-of-day weights (0..23) for daytime activity per channel; night draws use NIGHT_HOURS.
_H = np.arange(24)


def _bumps(*peaks: tuple[float, float, float], floor: float = 0.02) -> np.ndarray:
    weights = np.full(24, floor)
    for centre, width, height in peaks:
        weights = weights + height * np.exp(-0.5 * ((_H - centre) / width) ** 2)
    weights[(_H < 6)] *= 0.05  # night activity comes from each customer's night share instead
    weights[(_H >= 22)] *= 0.3
    return weights / weights.sum()


HOUR_WEIGHTS = np.vstack(
    [
        _bumps((12.5, 1.8, 1.0), (19.0, 2.0, 1.3)),  # card_present: lunch, evening shopping
        _bumps((13.0, 2.0, 0.8), (21.0, 1.8, 1.3)),  # online: lunch break, late evening
        _bumps((9.5, 1.5, 0.9), (18.5, 2.0, 1.1)),  # ATM: morning and after work
        _bumps((11.0, 2.0, 1.2), (16.0, 1.8, 0.8)),  # transfers: banking hours
        _bumps((9.0, 1.5, 0.6), (13.0, 1.8, 1.0), (20.0, 2.0, 1.0)),  # UPI: all day
    ]
)
NIGHT_HOURS = np.array([22, 23, 0, 1, 2, 3, 4, 5])
NIGHT_WEIGHTS = np.array([0.26, 0.22, 0.16, 0.11, 0.08, 0.06, 0.05, 0.06])

# --------------------------------------------------------------------------------------------
# Personas: latent behaviour types. Ground truth only; the warehouse never sees them.
# --------------------------------------------------------------------------------------------

PERSONAS = [
    "digital_spender",
    "stable_essentials",
    "cash_heavy",
    "high_volatility",
    "cross_border_lifestyle",
    "microloan_borrower",
]
PERSONA_SHARE = np.array([0.22, 0.25, 0.15, 0.13, 0.10, 0.15])
P_DIGITAL, P_STABLE, P_CASH, P_VOLATILE, P_CROSS_BORDER, P_MICROLOAN = range(6)

# Channel mix means (card_present, online, atm, transfer, instant_payment).
PERSONA_CHANNEL_MIX = np.array(
    [
        [0.16, 0.38, 0.04, 0.08, 0.34],
        [0.38, 0.13, 0.13, 0.16, 0.20],
        [0.22, 0.06, 0.42, 0.08, 0.22],
        [0.28, 0.26, 0.12, 0.12, 0.22],
        [0.34, 0.34, 0.08, 0.08, 0.16],
        [0.20, 0.10, 0.26, 0.14, 0.30],
    ]
)
# Merchant category mix means (same order as MERCHANT_CATEGORIES).
PERSONA_CATEGORY_MIX = np.array(
    [
        [0.12, 0.10, 0.05, 0.04, 0.20, 0.13, 0.12, 0.09, 0.06, 0.09],
        [0.30, 0.20, 0.10, 0.08, 0.08, 0.04, 0.06, 0.03, 0.03, 0.08],
        [0.28, 0.12, 0.09, 0.09, 0.14, 0.05, 0.08, 0.03, 0.02, 0.10],
        [0.12, 0.08, 0.06, 0.06, 0.16, 0.12, 0.13, 0.12, 0.07, 0.08],
        [0.10, 0.08, 0.05, 0.05, 0.16, 0.11, 0.11, 0.08, 0.18, 0.08],
        [0.26, 0.15, 0.10, 0.08, 0.14, 0.06, 0.07, 0.04, 0.02, 0.08],
    ]
)
# Scalar behaviour means per persona. Drawn per customer with the spreads in personas.py.
# activity: transactions per active month (before calibration to the bank-wide average);
# ticket: multiplier on category medians; cross_border: share of card/online spend abroad;
# night: share of transactions between 22:00 and 06:00; volatility: month-to-month sigma of
# activity; credit_card: probability of holding a card; loan: probability of microloans;
# loans_per_year: how many when they borrow; late: propensity to repay late; spread: multiplies
# the category's amount sigma (erratic spenders have erratic tickets too).
PERSONA_TRAITS: dict[str, np.ndarray] = {
    #                           digital stable cash  volatile cross micro
    "activity": np.array([6.0, 3.6, 3.3, 4.4, 5.0, 3.5]),
    "ticket": np.array([0.9, 0.85, 0.75, 1.3, 1.45, 0.65]),
    "cross_border": np.array([0.025, 0.006, 0.004, 0.02, 0.22, 0.004]),
    "night": np.array([0.11, 0.03, 0.05, 0.10, 0.07, 0.06]),
    "volatility": np.array([0.28, 0.12, 0.25, 0.9, 0.35, 0.32]),
    "spread": np.array([1.0, 0.75, 0.9, 1.3, 1.05, 0.95]),
    "credit_card": np.array([0.72, 0.45, 0.18, 0.58, 0.88, 0.14]),
    "credit_pref": np.array([0.55, 0.45, 0.35, 0.6, 0.7, 0.4]),
    "loan": np.array([0.05, 0.03, 0.08, 0.10, 0.02, 0.92]),
    "loans_per_year": np.array([1.0, 1.0, 1.2, 1.5, 1.0, 2.4]),
    "late": np.array([0.08, 0.04, 0.12, 0.18, 0.06, 0.16]),
    "income": np.array([1.15, 1.0, 0.8, 1.05, 1.6, 0.62]),
    "age_shift": np.array([-7.0, 6.0, 5.0, -3.0, 3.0, -2.0]),
    "deposit": np.array([0.15, 0.42, 0.12, 0.12, 0.35, 0.05]),
}

# Average transactions per customer per month in the finished bank: about 100 per customer
# over 24 months. `--transactions` sizes the bank with it. The persona "activity" means above
# are tuned so that the bank (with its new customers, risk rows and fraud) lands on this;
# test_transactions_target_sizes_the_bank keeps the two in step.
TXNS_PER_CUSTOMER_MONTH = 100.0 / 24.0

# --------------------------------------------------------------------------------------------
# Demographics
# --------------------------------------------------------------------------------------------

# (city, region, weight). Metros heavier, like a real retail book.
CITIES: list[tuple[str, str, float]] = [
    ("Mumbai", "West", 11.0),
    ("Delhi NCR", "North", 12.0),
    ("Bengaluru", "South", 10.0),
    ("Chennai", "South", 6.0),
    ("Hyderabad", "South", 7.0),
    ("Pune", "West", 5.0),
    ("Kolkata", "East", 6.0),
    ("Ahmedabad", "West", 4.0),
    ("Jaipur", "North", 3.0),
    ("Surat", "West", 2.5),
    ("Lucknow", "North", 2.5),
    ("Kanpur", "North", 1.5),
    ("Nagpur", "Central", 1.5),
    ("Indore", "Central", 2.0),
    ("Bhopal", "Central", 1.5),
    ("Patna", "East", 1.5),
    ("Vadodara", "West", 1.5),
    ("Coimbatore", "South", 2.0),
    ("Kochi", "South", 2.0),
    ("Visakhapatnam", "South", 1.5),
    ("Chandigarh", "North", 2.0),
    ("Bhubaneswar", "East", 1.5),
    ("Guwahati", "North East", 1.5),
    ("Thiruvananthapuram", "South", 1.2),
    ("Mysuru", "South", 1.0),
    ("Nashik", "West", 1.2),
    ("Ludhiana", "North", 1.5),
    ("Madurai", "South", 1.0),
    ("Dehradun", "North", 1.0),
    ("Ranchi", "East", 1.0),
    ("Raipur", "Central", 1.0),
]
CITY_NAMES = [c[0] for c in CITIES]
CITY_WEIGHTS = np.array([c[2] for c in CITIES]) / sum(c[2] for c in CITIES)
N_METROS = 7  # the first seven cities: income premium, more digital

# (occupation, median monthly income INR, log sigma, typical age range)
OCCUPATIONS: list[tuple[str, float, float, tuple[int, int]]] = [
    ("Salaried IT Employees", 78000.0, 0.50, (22, 58)),
    ("Salaried Other Employees", 42000.0, 0.50, (21, 60)),
    ("Freelancers", 38000.0, 0.65, (21, 62)),
    ("Business Owners", 85000.0, 0.75, (25, 72)),
    ("Government Employees", 52000.0, 0.40, (23, 60)),
    ("Students", 16000.0, 0.45, (18, 27)),
    ("Retired", 34000.0, 0.55, (58, 80)),
]
OCCUPATION_NAMES = [o[0] for o in OCCUPATIONS]
# Occupation mix per persona (rows persona, columns OCCUPATIONS order).
PERSONA_OCCUPATION = np.array(
    [
        [0.36, 0.24, 0.14, 0.07, 0.06, 0.12, 0.01],
        [0.16, 0.32, 0.06, 0.08, 0.20, 0.03, 0.15],
        [0.05, 0.30, 0.16, 0.20, 0.09, 0.05, 0.15],
        [0.22, 0.24, 0.20, 0.16, 0.06, 0.08, 0.04],
        [0.30, 0.18, 0.10, 0.26, 0.08, 0.03, 0.05],
        [0.05, 0.40, 0.22, 0.14, 0.05, 0.10, 0.04],
    ]
)

AGE_GROUPS = [(18, 24, "18-24"), (25, 34, "25-34"), (35, 44, "35-44"), (45, 54, "45-54"),
              (55, 64, "55-64"), (65, 200, "65+")]

LOYALTY_CLASSES = ["Jade", "Silver", "Gold", "Platinum"]  # entry tier first
FEE_STRUCTURES = ["High", "Mid", "Low"]
RELATIONSHIP_TYPES = ["Retail", "Institutional", "Private", "Commercial"]
GENDERS = ["Male", "Female", "Other"]
MARITAL_STATUSES = ["Single", "Married", "Divorced", "Widowed"]
NATIONALITIES = ["Indian", "British", "American", "Emirati", "Singaporean", "Nepalese",
                 "Sri Lankan", "Canadian"]
NATIONALITY_WEIGHTS = np.array([0.965, 0.006, 0.006, 0.005, 0.004, 0.006, 0.004, 0.004])

FIRST_NAMES_MALE = [
    "Aarav", "Vihaan", "Arjun", "Rohan", "Rahul", "Amit", "Sanjay", "Vikram", "Karthik",
    "Suresh", "Rajesh", "Anil", "Manoj", "Deepak", "Nikhil", "Aditya", "Siddharth", "Harsh",
    "Pranav", "Varun", "Abhishek", "Gaurav", "Mohit", "Naveen", "Prakash", "Ravi", "Sunil",
    "Vivek", "Imran", "Farhan", "Joseph", "Thomas", "Gurpreet", "Harpreet", "Ankit", "Yash",
    "Kunal", "Ramesh", "Venkatesh", "Srinivas", "Arnav", "Kabir", "Dhruv", "Ishaan", "Tarun",
]
FIRST_NAMES_FEMALE = [
    "Aadhya", "Ananya", "Diya", "Priya", "Pooja", "Neha", "Sneha", "Kavya", "Divya", "Lakshmi",
    "Meera", "Anjali", "Sunita", "Rekha", "Shalini", "Swati", "Nisha", "Ritu", "Deepa", "Asha",
    "Aishwarya", "Shreya", "Isha", "Tanvi", "Riya", "Sakshi", "Nandini", "Pallavi", "Geeta",
    "Fatima", "Ayesha", "Mary", "Jasleen", "Simran", "Harini", "Janani", "Bhavana", "Madhuri",
    "Radhika", "Sonal", "Anika", "Myra", "Saanvi", "Zara", "Keerthi",
]
SURNAMES = [
    "Sharma", "Verma", "Gupta", "Singh", "Kumar", "Patel", "Shah", "Mehta", "Joshi", "Desai",
    "Iyer", "Iyengar", "Nair", "Menon", "Pillai", "Reddy", "Rao", "Naidu", "Chowdhury", "Das",
    "Banerjee", "Mukherjee", "Chatterjee", "Ghosh", "Bose", "Sen", "Kapoor", "Malhotra",
    "Khanna", "Chopra", "Agarwal", "Jain", "Bansal", "Mishra", "Tiwari", "Pandey", "Yadav",
    "Khan", "Sheikh", "Qureshi", "D'Souza", "Fernandes", "Gill", "Sandhu", "Kulkarni",
    "Deshpande", "Patil", "Jadhav", "Hegde", "Shetty", "Krishnan", "Subramanian", "Bhat",
    "Saxena", "Srivastava", "Thakur", "Chauhan", "Mahajan", "Sinha", "Pathak",
]

# --------------------------------------------------------------------------------------------
# Cross-border: destination countries with their currency, a merchant city and a weight.
# --------------------------------------------------------------------------------------------

COUNTRIES: list[tuple[str, str, str, float]] = [
    ("AE", "AED", "Dubai", 0.18),
    ("SG", "SGD", "Singapore", 0.12),
    ("TH", "THB", "Bangkok", 0.11),
    ("US", "USD", "New York", 0.14),
    ("GB", "GBP", "London", 0.10),
    ("MY", "MYR", "Kuala Lumpur", 0.05),
    ("DE", "EUR", "Berlin", 0.04),
    ("FR", "EUR", "Paris", 0.04),
    ("IT", "EUR", "Rome", 0.02),
    ("JP", "JPY", "Tokyo", 0.03),
    ("AU", "AUD", "Sydney", 0.04),
    ("CA", "CAD", "Toronto", 0.03),
    ("HK", "HKD", "Hong Kong", 0.02),
    ("LK", "LKR", "Colombo", 0.02),
    ("NP", "NPR", "Kathmandu", 0.02),
    ("SA", "SAR", "Riyadh", 0.03),
    ("CH", "CHF", "Zurich", 0.01),
]
COUNTRY_CODES = [c[0] for c in COUNTRIES]
COUNTRY_CURRENCIES = [c[1] for c in COUNTRIES]
COUNTRY_CITIES = [c[2] for c in COUNTRIES]
COUNTRY_WEIGHTS = np.array([c[3] for c in COUNTRIES]) / sum(c[3] for c in COUNTRIES)
# Foreign-currency accounts are held in the majors.
FX_ACCOUNT_CURRENCIES = ["USD", "EUR", "GBP", "AED", "SGD"]

HOME_COUNTRY = "IN"
HOME_CURRENCY = "INR"

# Merchant trading-name parts per category: "<prefix> <core>".
MERCHANT_NAME_PARTS: dict[str, tuple[list[str], list[str]]] = {
    "groceries": (["Fresh", "Daily", "Green Basket", "Annapurna", "Sai", "Metro", "Nature's",
                   "Apna", "Shree", "Royal"], ["Mart", "Supermarket", "Kirana Store", "Bazaar",
                                               "Provisions", "Hypermarket", "Grocers"]),
    "bills": (["City", "National", "Bharat", "Metro", "Sun", "Unity", "Star"],
              ["Power", "Telecom", "Broadband", "Gas Agency", "Insurance", "Water Works",
               "DTH Services"]),
    "health_wellness": (["Apollo Road", "Care", "Life", "Wellness", "Sanjeevani", "Dhanvantari",
                         "Healthy", "Fit"], ["Pharmacy", "Clinic", "Hospital", "Diagnostics",
                                             "Chemists", "Fitness Studio", "Dental Care"]),
    "fuel": (["Highway", "City", "Express", "Green", "Super", "Ganesh", "Balaji"],
             ["Fuels", "Petroleum", "Filling Station", "Service Station", "CNG Station"]),
    "food": (["Spice", "Udupi", "Punjabi", "Biryani", "Chai", "Dosa", "Tandoor", "Coastal",
              "Tiffin", "Royal"], ["Kitchen", "Dhaba", "Cafe", "House", "Point", "Express",
                                   "Restaurant", "Corner"]),
    "entertainment": (["Galaxy", "Star", "Funcity", "Cine", "Game", "Music", "Rainbow"],
                      ["Cinemas", "Multiplex", "Arena", "Tickets", "Play Zone", "Streaming",
                       "Events"]),
    "apparel": (["Fashion", "Style", "Ethnic", "Silk", "Urban", "Trend", "Kurta", "Denim"],
                ["Boutique", "Emporium", "Hub", "Store", "Closet", "Footwear", "Outlet"]),
    "electronics": (["Digital", "Tech", "Smart", "Mega", "Gadget", "Electro", "Vision"],
                    ["Electronics", "World", "Zone", "Appliances", "Mobiles", "Computers"]),
    "travel": (["Sky", "Blue", "Royal", "Comfort", "Holiday", "Journey", "Safar", "Trip"],
               ["Airways", "Travels", "Hotels", "Residency", "Tours", "Cabs", "Rail Tickets"]),
    "others": (["Om", "Lakshmi", "New", "Modern", "Crystal", "Golden", "Anand"],
               ["Jewellers", "Book Depot", "Hardware", "Gifts", "Stationers", "Home Decor",
                "Academy"]),
}
