"""Fixed reference lists the sandbox data is drawn from: names, streets, cities, merchants,
employers, landlords and payees, per country (``DE`` or ``US``).

Merchant and company names are invented or generic chain-like names; city coordinates
and postcodes are real facts. Amount ranges are in cents of the bank's currency.
"""

from __future__ import annotations

from dataclasses import dataclass

from bankchat.sandbox.model import Category


@dataclass(frozen=True, slots=True)
class City:
    """A town card payments can happen in."""

    name: str
    country: str
    postcode: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Merchant:
    """A shop, restaurant or service; ``online`` merchants have no street location."""

    name: str
    category: Category
    mcc: str
    min_cents: int
    max_cents: int
    online: bool = False


@dataclass(frozen=True, slots=True)
class Payee:
    """A company paid by transfer or direct debit (employer, landlord, utility)."""

    name: str
    min_cents: int
    max_cents: int
    category: Category


def _m(
    name: str, category: Category, mcc: str, low: int, high: int, *, online: bool = False
) -> Merchant:
    return Merchant(name, category, mcc, low, high, online)


G, R, T, S = Category.GROCERIES, Category.RESTAURANTS, Category.TRANSPORT, Category.SHOPPING
E, V, U, H = Category.ENTERTAINMENT, Category.TRAVEL, Category.UTILITIES, Category.HEALTH

FIRST_NAMES = {
    "DE": (
        "Anna", "Lukas", "Sophie", "Jonas", "Marie", "Felix", "Lena", "Paul", "Laura",
        "Maximilian", "Julia", "Leon", "Hannah", "Tim", "Sarah", "Niklas", "Katharina", "Jan",
        "Lea", "Moritz", "Clara", "Tobias", "Emma", "Florian", "Greta", "Jürgen",
    ),
    "US": (
        "Emily", "James", "Olivia", "Michael", "Ava", "Daniel", "Sophia", "David", "Isabella",
        "Ethan", "Mia", "Noah", "Abigail", "Jacob", "Madison", "Ryan", "Chloe", "Tyler",
        "Grace", "Brandon", "Harper", "Marcus", "Naomi", "Kevin",
    ),
}  # fmt: skip

LAST_NAMES = {
    "DE": (
        "Schmidt", "Müller", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
        "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
        "Schwarz", "Zimmermann", "Braun", "Krüger", "Hartmann", "Lange", "Werner", "Krause",
    ),
    "US": (
        "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
        "Martinez", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee",
        "Thompson", "White", "Harris", "Clark", "Nguyen", "Patel", "Walker", "Young",
    ),
}  # fmt: skip

STREETS = {
    "DE": (
        "Hauptstraße", "Bahnhofstraße", "Gartenstraße", "Lindenallee", "Schillerstraße",
        "Goethestraße", "Bergstraße", "Kirchweg", "Mühlenweg", "Rosenstraße", "Am Markt",
        "Parkstraße", "Birkenweg", "Feldstraße",
    ),
    "US": (
        "Main Street", "Oak Avenue", "Maple Drive", "Cedar Lane", "Elm Street",
        "Washington Avenue", "Lake Road", "Pine Street", "Park Avenue", "Highland Avenue",
        "River Road", "Sunset Drive", "Willow Court", "Chestnut Street",
    ),
}  # fmt: skip

PASSWORD_WORDS = {
    "DE": (
        "ahorn", "birke", "wolke", "sonne", "fluss", "kiesel", "lampe", "feder", "garten",
        "nebel", "tinte", "welle", "apfel", "taube",
    ),
    "US": (
        "maple", "river", "cloud", "pebble", "lantern", "harbor", "meadow", "copper",
        "falcon", "willow", "ember", "canyon", "cedar", "otter",
    ),
}  # fmt: skip

# Where customers live (the first few per country are also where they shop most).
HOME_CITIES = {
    "DE": (
        City("Berlin", "DE", "10115", 52.5200, 13.4050),
        City("Hamburg", "DE", "20095", 53.5511, 9.9937),
        City("München", "DE", "80331", 48.1351, 11.5820),
        City("Köln", "DE", "50667", 50.9375, 6.9603),
        City("Frankfurt am Main", "DE", "60311", 50.1109, 8.6821),
        City("Stuttgart", "DE", "70173", 48.7758, 9.1829),
        City("Leipzig", "DE", "04109", 51.3397, 12.3731),
        City("Dresden", "DE", "01067", 51.0504, 13.7373),
        City("Hannover", "DE", "30159", 52.3759, 9.7320),
        City("Nürnberg", "DE", "90402", 49.4521, 11.0767),
        City("Bremen", "DE", "28195", 53.0793, 8.8017),
        City("Düsseldorf", "DE", "40213", 51.2277, 6.7735),
    ),
    "US": (
        City("New York", "US", "10001", 40.7128, -74.0060),
        City("Chicago", "US", "60601", 41.8781, -87.6298),
        City("Seattle", "US", "98101", 47.6062, -122.3321),
        City("Austin", "US", "78701", 30.2672, -97.7431),
        City("Denver", "US", "80202", 39.7392, -104.9903),
        City("Boston", "US", "02108", 42.3601, -71.0589),
        City("San Francisco", "US", "94103", 37.7749, -122.4194),
        City("Portland", "US", "97204", 45.5152, -122.6784),
        City("Minneapolis", "US", "55401", 44.9778, -93.2650),
        City("Atlanta", "US", "30303", 33.7490, -84.3880),
        City("Kansas City", "US", "64105", 39.0997, -94.5786),
    ),
}

# Holiday destinations abroad (trips also go to other home cities of the same country).
ABROAD = {
    "DE": (
        City("Wien", "AT", "1010", 48.2082, 16.3738),
        City("Paris", "FR", "75001", 48.8566, 2.3522),
        City("Barcelona", "ES", "08001", 41.3874, 2.1686),
        City("Amsterdam", "NL", "1012", 52.3676, 4.9041),
        City("Roma", "IT", "00184", 41.9028, 12.4964),
        City("København", "DK", "1050", 55.6761, 12.5683),
    ),
    "US": (
        City("Toronto", "CA", "M5H 2N2", 43.6532, -79.3832),
        City("Cancún", "MX", "77500", 21.1619, -86.8515),
        City("London", "GB", "WC2N 5DU", 51.5074, -0.1278),
        City("Miami", "US", "33130", 25.7617, -80.1918),
        City("Las Vegas", "US", "89101", 36.1699, -115.1398),
        City("Honolulu", "US", "96813", 21.3069, -157.8583),
    ),
}

# Merchants customers visit in person or online, by spending category.
MERCHANTS: dict[str, dict[Category, tuple[Merchant, ...]]] = {
    "DE": {
        G: (
            _m("REWE", G, "5411", 650, 9800),
            _m("EDEKA", G, "5411", 600, 8900),
            _m("Aldi", G, "5411", 800, 7500),
            _m("Lidl", G, "5411", 700, 7200),
            _m("Kaufland", G, "5411", 1200, 11000),
            _m("Biomarkt Grünkorn", G, "5411", 900, 6500),
            _m("Bäckerei Sonnenkorn", G, "5462", 250, 1400),
        ),
        R: (
            _m("Gasthaus Zum Anker", R, "5812", 1800, 6800),
            _m("Trattoria Da Luca", R, "5812", 1500, 5900),
            _m("Pho Saigon Küche", R, "5812", 1100, 3600),
            _m("Döner Palast", R, "5814", 550, 1500),
            _m("Café Milchschaum", R, "5814", 380, 1800),
            _m("Burgerei Elbufer", R, "5812", 1200, 3900),
            _m("Sushi Kaito", R, "5812", 1600, 5200),
        ),
        T: (
            _m("Aral", T, "5541", 2500, 9500),
            _m("Shell", T, "5541", 2500, 9000),
            _m("Deutsche Bahn", T, "4112", 390, 5900),
            _m("Nahverkehr Fahrkartenautomat", T, "4111", 290, 980),
            _m("Taxi-Zentrale", T, "4121", 1100, 4200),
            _m("Stadtrad", T, "4111", 150, 900),
        ),
        S: (
            _m("Amazon", S, "5999", 799, 12900, online=True),
            _m("Zalando", S, "5651", 2499, 14900, online=True),
            _m("MediaMarkt", S, "5732", 1999, 39900),
            _m("dm-drogerie markt", S, "5977", 290, 4500),
            _m("H&M", S, "5651", 999, 8900),
            _m("IKEA", S, "5712", 1500, 24900),
            _m("Buchhandlung Seitenwind", S, "5942", 899, 4500),
        ),
        E: (
            _m("Kino Sternenpalast", E, "7832", 950, 3200),
            _m("Konzertkasse Eventim", E, "7922", 2900, 12900, online=True),
            _m("Bowlingcenter Strike", E, "7933", 1400, 4800),
            _m("Steam", E, "5815", 499, 5999, online=True),
        ),
        H: (
            _m("Apotheke am Markt", H, "5912", 450, 4800),
            _m("Löwen-Apotheke", H, "5912", 390, 3900),
            _m("Zahnarztpraxis Dr. Weiland", H, "8021", 2500, 18000),
            _m("Optik Klarblick", H, "8043", 1900, 29000),
        ),
        V: (
            _m("Lufthansa", V, "4511", 8900, 64000, online=True),
            _m("Eurowings", V, "4511", 4900, 32000, online=True),
            _m("Deutsche Bahn Fernverkehr", V, "4112", 2990, 18900, online=True),
            _m("FlixBus", V, "4131", 990, 5900, online=True),
            _m("Booking.com", V, "4722", 12000, 89000, online=True),
        ),
    },
    "US": {
        G: (
            _m("Walmart", G, "5411", 1200, 16000),
            _m("Kroger", G, "5411", 900, 14000),
            _m("Trader Joe's", G, "5411", 1500, 11000),
            _m("Whole Foods Market", G, "5411", 1400, 15000),
            _m("Safeway", G, "5411", 1000, 12000),
            _m("Costco", G, "5300", 4500, 29000),
            _m("Corner Bakery Co.", G, "5462", 350, 1600),
        ),
        R: (
            _m("Starbucks", R, "5814", 350, 1400),
            _m("Chipotle", R, "5814", 900, 2600),
            _m("Blue Door Diner", R, "5812", 1400, 4800),
            _m("Golden Wok", R, "5812", 1200, 4200),
            _m("Taqueria El Sol", R, "5814", 800, 2800),
            _m("Slice House Pizza", R, "5814", 1100, 3900),
            _m("Harborview Grill", R, "5812", 2900, 11000),
        ),
        T: (
            _m("Shell", T, "5541", 2500, 8500),
            _m("Chevron", T, "5541", 2500, 9000),
            _m("Exxon", T, "5541", 2200, 8000),
            _m("Uber", T, "4121", 900, 4900, online=True),
            _m("Lyft", T, "4121", 900, 4500, online=True),
            _m("Metro Transit", T, "4111", 250, 1200),
        ),
        S: (
            _m("Amazon", S, "5999", 999, 15900, online=True),
            _m("Target", S, "5311", 1200, 18000),
            _m("Best Buy", S, "5732", 2999, 59900),
            _m("Home Depot", S, "5200", 1500, 32000),
            _m("Macy's", S, "5311", 2500, 22000),
            _m("Barnes & Noble", S, "5942", 999, 6500),
            _m("Etsy", S, "5999", 1200, 9500, online=True),
        ),
        E: (
            _m("AMC Theatres", E, "7832", 1200, 4500),
            _m("Ticketmaster", E, "7922", 4500, 25000, online=True),
            _m("Lucky Strike Lanes", E, "7933", 2000, 7500),
            _m("Steam", E, "5815", 499, 6999, online=True),
        ),
        H: (
            _m("CVS Pharmacy", H, "5912", 500, 6500),
            _m("Walgreens", H, "5912", 500, 5500),
            _m("Lakeside Dental", H, "8021", 4500, 35000),
            _m("Urgent Care Clinic", H, "8011", 7500, 25000),
        ),
        V: (
            _m("Delta Air Lines", V, "4511", 12900, 89000, online=True),
            _m("United Airlines", V, "4511", 11900, 79000, online=True),
            _m("Southwest Airlines", V, "4511", 7900, 45000, online=True),
            _m("Amtrak", V, "4112", 3900, 25000, online=True),
            _m("Airbnb", V, "4722", 25000, 150000, online=True),
        ),
    },
}

# Where travellers eat, ride and sleep (used in the destination city).
TRAVEL_PLACES: dict[Category, tuple[Merchant, ...]] = {
    R: (
        _m("Bistro Centrale", R, "5812", 1500, 6500),
        _m("Harbour Kitchen", R, "5812", 1800, 7200),
        _m("La Piazza", R, "5812", 1400, 5200),
        _m("Street Food Corner", R, "5814", 600, 1800),
    ),
    T: (
        _m("City Transit Tickets", T, "4111", 250, 1500),
        _m("Airport Taxi", T, "4121", 2500, 7500),
    ),
    V: (
        _m("Hotel Panorama", V, "7011", 18000, 95000),
        _m("Grand Hotel Central", V, "7011", 25000, 140000),
        _m("City Inn", V, "7011", 12000, 65000),
    ),
}

# Recurring card charges: (merchant, amount in cents).
SUBSCRIPTIONS: dict[str, tuple[tuple[Merchant, int], ...]] = {
    "DE": (
        (_m("Netflix", E, "4899", 0, 0, online=True), 1399),
        (_m("Spotify", E, "5815", 0, 0, online=True), 1099),
        (_m("Disney+", E, "4899", 0, 0, online=True), 999),
        (_m("FitX Studio", H, "7997", 0, 0, online=True), 2499),
        (_m("Wolkenspeicher Cloud", U, "4816", 0, 0, online=True), 299),
        (_m("Zeitung Digital Abo", E, "5994", 0, 0, online=True), 1490),
    ),
    "US": (
        (_m("Netflix", E, "4899", 0, 0, online=True), 1549),
        (_m("Spotify", E, "5815", 0, 0, online=True), 1199),
        (_m("Hulu", E, "4899", 0, 0, online=True), 1799),
        (_m("Planet Fitness", H, "7997", 0, 0, online=True), 2499),
        (_m("iCloud Storage", U, "4816", 0, 0, online=True), 299),
        (_m("Daily Ledger News", E, "5994", 0, 0, online=True), 1700),
    ),
}

EMPLOYERS = {
    "DE": (
        "Nordlicht Software GmbH", "Klinikum Süd gGmbH", "Logistik Weber KG",
        "Stadtverwaltung", "Bäckerei Sonnenkorn GmbH", "Ingenieurbüro Falk & Sohn",
        "Elbe Maschinenbau AG", "Grundschule am Park",
    ),
    "US": (
        "Riverbend Logistics LLC", "Summit Health Partners", "Brightline Software Inc.",
        "County School District", "Evergreen Grocers Inc.", "Northstar Engineering Corp.",
        "Maple Street Dental Group", "Tri-City Transit Authority",
    ),
}  # fmt: skip

LANDLORDS = {
    "DE": (
        "Hausverwaltung Krämer GmbH", "Wohnbau Lindenhof eG", "Immobilien Sommer KG",
        "Verwaltung Altbau Nord GmbH",
    ),
    "US": (
        "Oakview Property Management", "Parkside Apartments LLC", "Greenleaf Residential",
        "Riverside Lofts Leasing",
    ),
}  # fmt: skip

# Monthly bills paid by direct debit from checking.
BILLS = {
    "DE": (
        Payee("Stadtwerke Strom", 4500, 11000, U),
        Payee("Telekom Festnetz & Internet", 3495, 4995, U),
        Payee("Vodafone Mobilfunk", 999, 3499, U),
        Payee("Haftpflicht Versicherung Hanse", 550, 890, Category.OTHER),
    ),
    "US": (
        Payee("City Power & Light", 6500, 18000, U),
        Payee("Comcast Xfinity", 5999, 8999, U),
        Payee("Verizon Wireless", 4500, 9500, U),
        Payee("Safeguard Renters Insurance", 1200, 2400, Category.OTHER),
    ),
}

FRIEND_NOTES = {
    "DE": (
        "Pizza Freitag", "Geburtstagsgeschenk", "Konzertkarten", "Danke fürs Auslegen",
        "Urlaubskasse", "WG-Einkauf", "Kinoabend", "Tankfüllung",
    ),
    "US": (
        "Pizza night", "Birthday gift", "Concert tickets", "Thanks for covering",
        "Trip fund", "Groceries split", "Movie night", "Gas money",
    ),
}  # fmt: skip

# Bank codes of fictional banks outside the sandbox, for counterparties' IBANs.
EXTERNAL_BANK_CODES = ("51230814", "39161027", "60427713", "82093316")
