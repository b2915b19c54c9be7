#include "sandbox/region.h"

#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct sb_city us_cities[] = {
    {"New York", "New York", "NY", "100", "212", 88750, 40.7128, -74.0060},
    {"Brooklyn", "New York", "NY", "112", "718", 88750, 40.6782, -73.9442},
    {"Los Angeles", "California", "CA", "900", "213", 95000, 34.0522, -118.2437},
    {"San Francisco", "California", "CA", "941", "415", 86250, 37.7749, -122.4194},
    {"Chicago", "Illinois", "IL", "606", "312", 102500, 41.8781, -87.6298},
    {"Houston", "Texas", "TX", "770", "713", 82500, 29.7604, -95.3698},
    {"Austin", "Texas", "TX", "787", "512", 82500, 30.2672, -97.7431},
    {"Seattle", "Washington", "WA", "981", "206", 102500, 47.6062, -122.3321},
    {"Portland", "Oregon", "OR", "972", "503", 0, 45.5152, -122.6784},
    {"Denver", "Colorado", "CO", "802", "303", 88100, 39.7392, -104.9903},
    {"Boston", "Massachusetts", "MA", "021", "617", 62500, 42.3601, -71.0589},
    {"Miami", "Florida", "FL", "331", "305", 70000, 25.7617, -80.1918},
    {"Atlanta", "Georgia", "GA", "303", "404", 89000, 33.7490, -84.3880},
    {"Philadelphia", "Pennsylvania", "PA", "191", "215", 80000, 39.9526, -75.1652},
    {"Minneapolis", "Minnesota", "MN", "554", "612", 80250, 44.9778, -93.2650},
    {"Nashville", "Tennessee", "TN", "372", "615", 92500, 36.1627, -86.7816},
};

static const char *const us_streets[] = {
    "Main Street",     "Oak Avenue",     "Maple Drive",     "Cedar Lane",  "Elm Street",
    "Washington Ave",  "Park Place",     "Lakeview Road",   "Sunset Blvd", "Highland Avenue",
    "Pine Street",     "Broadway",       "Church Street",   "Mill Road",   "River Road",
    "Franklin Street", "Madison Avenue", "Hillcrest Drive", "Forest Lane", "Spring Street",
};

static const char *const us_first[] = {
    "James",   "Mary",      "Robert",  "Patricia", "John",    "Jennifer", "Michael", "Linda",
    "David",   "Elizabeth", "William", "Barbara",  "Richard", "Susan",    "Joseph",  "Jessica",
    "Thomas",  "Sarah",     "Carlos",  "Karen",    "Daniel",  "Nancy",    "Matthew", "Lisa",
    "Anthony", "Betty",     "Mark",    "Sandra",   "José",    "Ashley",   "Kevin",   "Zoë",
};

static const char *const us_last[] = {
    "Smith",     "Johnson",  "Williams",  "Brown",   "Jones",    "Garcia",   "Miller",   "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez",   "Gonzalez", "Wilson",   "Anderson", "Thomas",
    "Taylor",    "Moore",    "Jackson",   "Martin",  "Lee",      "Perez",    "Thompson", "White",
    "Harris",    "Sanchez",  "Clark",     "O'Brien", "Lewis",    "Robinson", "Walker",   "Nguyen",
};

static const struct sb_city de_cities[] = {
    {"Berlin", "Berlin", "BE", "10", "30", 190000, 52.5200, 13.4050},
    {"Hamburg", "Hamburg", "HH", "20", "40", 190000, 53.5511, 9.9937},
    {"München", "Bayern", "BY", "80", "89", 190000, 48.1351, 11.5820},
    {"Köln", "Nordrhein-Westfalen", "NW", "50", "221", 190000, 50.9375, 6.9603},
    {"Frankfurt am Main", "Hessen", "HE", "60", "69", 190000, 50.1109, 8.6821},
    {"Stuttgart", "Baden-Württemberg", "BW", "70", "711", 190000, 48.7758, 9.1829},
    {"Düsseldorf", "Nordrhein-Westfalen", "NW", "40", "211", 190000, 51.2277, 6.7735},
    {"Leipzig", "Sachsen", "SN", "04", "341", 190000, 51.3397, 12.3731},
    {"Dresden", "Sachsen", "SN", "01", "351", 190000, 51.0504, 13.7373},
    {"Nürnberg", "Bayern", "BY", "90", "911", 190000, 49.4521, 11.0767},
    {"Bremen", "Bremen", "HB", "28", "421", 190000, 53.0793, 8.8017},
    {"Hannover", "Niedersachsen", "NI", "30", "511", 190000, 52.3759, 9.7320},
};

static const char *const de_streets[] = {
    "Hauptstraße",     "Schulstraße",    "Gartenstraße", "Bahnhofstraße", "Dorfstraße",
    "Bergstraße",      "Birkenweg",      "Lindenstraße", "Kirchstraße",   "Waldstraße",
    "Ringstraße",      "Schillerstraße", "Goethestraße", "Mühlenweg",     "Am Markt",
    "Friedrichstraße", "Wiesenweg",      "Rosenstraße",  "Feldstraße",    "Kastanienallee",
};

static const char *const de_first[] = {
    "Anna",  "Lukas",   "Sophie", "Jürgen", "Marie",   "Felix",   "Lena",   "Jonas",
    "Laura", "Björn",   "Hannah", "Paul",   "Lea",     "Leon",    "Emma",   "Maximilian",
    "Mia",   "Günther", "Sarah",  "Tobias", "Julia",   "Stefan",  "Katrin", "Matthias",
    "Jörg",  "Sabine",  "Uwe",    "Petra",  "Andreas", "Claudia", "Tim",    "Nele",
};

static const char *const de_last[] = {
    "Müller",   "Schmidt",  "Schneider", "Fischer",    "Weber",  "Meyer",   "Wagner",  "Becker",
    "Schulz",   "Hoffmann", "Schäfer",   "Koch",       "Bauer",  "Richter", "Klein",   "Wolf",
    "Schröder", "Neumann",  "Schwarz",   "Zimmermann", "Braun",  "Krüger",  "Hofmann", "Hartmann",
    "Lange",    "Schmitt",  "Werner",    "Weiß",       "Krause", "Meier",   "Lehmann", "Köhler",
};

static const struct sb_city gb_cities[] = {
    {"London", "England", "ENG", "SW1A", "20", 200000, 51.5074, -0.1278},
    {"Manchester", "England", "ENG", "M1", "161", 200000, 53.4808, -2.2426},
    {"Birmingham", "England", "ENG", "B1", "121", 200000, 52.4862, -1.8904},
    {"Leeds", "England", "ENG", "LS1", "113", 200000, 53.8008, -1.5491},
    {"Glasgow", "Scotland", "SCT", "G1", "141", 200000, 55.8642, -4.2518},
    {"Edinburgh", "Scotland", "SCT", "EH1", "131", 200000, 55.9533, -3.1883},
    {"Bristol", "England", "ENG", "BS1", "117", 200000, 51.4545, -2.5879},
    {"Cardiff", "Wales", "WLS", "CF10", "29", 200000, 51.4816, -3.1791},
};

static const char *const gb_streets[] = {
    "High Street", "Station Road", "Church Lane", "Victoria Road", "Green Lane",
    "Manor Road",  "Park Road",    "Queens Road", "New Road",      "Kings Road",
    "Mill Lane",   "The Crescent", "London Road", "Grange Road",   "York Road",
};

static const char *const gb_first[] = {
    "Oliver",  "Amelia", "George",  "Isla",   "Harry",   "Ava",  "Noah",  "Mia",
    "Jack",    "Ivy",    "Charlie", "Grace",  "Freddie", "Lily", "Alfie", "Freya",
    "Siobhán", "Rhys",   "Eilidh",  "Callum", "Niamh",   "Owen", "Ffion", "Euan",
};

static const char *const gb_last[] = {
    "Smith", "Jones",    "Taylor", "Brown",    "Williams", "Wilson",   "Johnson",   "Davies",
    "Patel", "Robinson", "Wright", "Thompson", "Evans",    "Walker",   "White",     "Roberts",
    "Green", "Hall",     "Wood",   "Jackson",  "Clarke",   "Ó Briain", "MacDonald", "Hughes",
};

static const struct sb_region regions[] = {
    {"US",
     "United States",
     "USD",
     "en",
     "+1",
     "Sales Tax",
     "${{amount}}",
     "lb",
     0,
     1,
     SB_ZIP_US,
     599,
     1499,
     7500,
     us_cities,
     N(us_cities),
     us_streets,
     N(us_streets),
     us_first,
     N(us_first),
     us_last,
     N(us_last)},
    {"DE",
     "Germany",
     "EUR",
     "de",
     "+49",
     "MwSt",
     "{{amount_with_comma_separator}} €",
     "kg",
     1,
     0,
     SB_ZIP_DE,
     495,
     1290,
     5000,
     de_cities,
     N(de_cities),
     de_streets,
     N(de_streets),
     de_first,
     N(de_first),
     de_last,
     N(de_last)},
    {"GB",
     "United Kingdom",
     "GBP",
     "en",
     "+44",
     "VAT",
     "£{{amount}}",
     "kg",
     1,
     1,
     SB_ZIP_GB,
     395,
     995,
     5000,
     gb_cities,
     N(gb_cities),
     gb_streets,
     N(gb_streets),
     gb_first,
     N(gb_first),
     gb_last,
     N(gb_last)},
};

const struct sb_region *sb_region_for_zone(const char *tzid) {
  if (strcmp(tzid, "Europe/London") == 0)
    return &regions[2];
  if (strncmp(tzid, "Europe/", 7) == 0)
    return &regions[1];
  return &regions[0];
}
