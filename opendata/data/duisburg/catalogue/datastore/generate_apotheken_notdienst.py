"""Regenerate apotheken-notdienst.csv: a deterministic demo rota of pharmacy emergency service.

Run from anywhere: `python generate_apotheken_notdienst.py`. The pharmacies are fictional
(phone numbers start with 0 after the area code, which German numbering never assigns). Each
day from 09:00 to 09:00 the next morning, one pharmacy of the north and one of the centre/south
serve; on every second day a third one west of the Rhine joins. `Dienstbeginn` is the date the
duty starts, so `filters={"Dienstbeginn": "<date>"}` finds a day's pharmacies (the ones still on
duty before 9 o'clock started the day before). Same input, same file.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, time, timedelta
from pathlib import Path

FIRST_DAY = date(2026, 11, 1)
LAST_DAY = date(2027, 12, 31)
START = time(9, 0)

# (name, address, Ortsteil, phone)
NORTH = [
    ("Rhein-Apotheke Walsum", "Friedrich-Ebert-Straße 150, 47179 Duisburg", "Aldenrade",
     "0203 0001101"),
    ("Löwen-Apotheke Vierlinden", "Lindenstraße 12, 47178 Duisburg", "Vierlinden",
     "0203 0001102"),
    ("Glückauf-Apotheke", "Duisburger Straße 210, 47166 Duisburg", "Alt-Hamborn",
     "0203 0001103"),
    ("Marien-Apotheke Marxloh", "Weseler Straße 95, 47169 Duisburg", "Marxloh", "0203 0001104"),
    ("Apotheke am Markt Neumühl", "Lehrerstraße 4, 47167 Duisburg", "Neumühl", "0203 0001105"),
    ("Hirsch-Apotheke Meiderich", "Von-der-Mark-Straße 40, 47137 Duisburg", "Mittelmeiderich",
     "0203 0001106"),
    ("Emscher-Apotheke", "Bahnhofstraße 18, 47138 Duisburg", "Obermeiderich", "0203 0001107"),
    ("Apotheke Beeck", "Friedrich-Ebert-Straße 30, 47139 Duisburg", "Beeck", "0203 0001108"),
]
CENTRE_SOUTH = [
    ("Mercator-Apotheke", "Königstraße 50, 47051 Duisburg", "Altstadt", "0203 0002101"),
    ("Bahnhof-Apotheke", "Mercatorstraße 80, 47051 Duisburg", "Dellviertel", "0203 0002102"),
    ("Universitäts-Apotheke", "Lotharstraße 30, 47057 Duisburg", "Neudorf-Nord",
     "0203 0002103"),
    ("Zoo-Apotheke", "Mülheimer Straße 120, 47058 Duisburg", "Duissern", "0203 0002104"),
    ("Apotheke Hochfeld", "Wanheimer Straße 100, 47053 Duisburg", "Hochfeld", "0203 0002105"),
    ("Sonnen-Apotheke Wanheimerort", "Düsseldorfer Straße 400, 47055 Duisburg", "Wanheimerort",
     "0203 0002106"),
    ("Seen-Apotheke", "Sittardsberger Allee 20, 47249 Duisburg", "Buchholz", "0203 0002107"),
    ("Apotheke Großenbaum", "Großenbaumer Allee 150, 47269 Duisburg", "Großenbaum",
     "0203 0002108"),
    ("Angerland-Apotheke", "Düsseldorfer Landstraße 300, 47259 Duisburg", "Huckingen",
     "0203 0002109"),
]
WEST = [
    ("Stern-Apotheke Homberg", "Augustastraße 10, 47198 Duisburg", "Homberg", "02066 0003101"),
    ("Apotheke Hochheide", "Ottostraße 25, 47198 Duisburg", "Hochheide", "02066 0003102"),
    ("Brücken-Apotheke Rheinhausen", "Friedrich-Alfred-Straße 60, 47226 Duisburg",
     "Rheinhausen-Mitte", "02065 0003103"),
    ("Apotheke Bergheim", "Schwarzenberger Straße 70, 47228 Duisburg", "Bergheim",
     "02065 0003104"),
    ("Dorf-Apotheke Rumeln", "Düsseldorfer Straße 480, 47239 Duisburg", "Rumeln-Kaldenhausen",
     "02151 0003105"),
    ("Hafen-Apotheke Ruhrort", "Fabrikstraße 8, 47119 Duisburg", "Ruhrort", "0203 0003106"),
    ("Apotheke Friemersheim", "Kaiserstraße 90, 47229 Duisburg", "Friemersheim",
     "02065 0003107"),
]


def rota() -> list[list[str]]:
    rows = []
    day = FIRST_DAY
    index = 0
    while day <= LAST_DAY:
        begin = datetime.combine(day, START)
        end = begin + timedelta(days=1)
        duty = [NORTH[index % len(NORTH)], CENTRE_SOUTH[(index * 4) % len(CENTRE_SOUTH)]]
        if index % 2 == 0:
            duty.append(WEST[(index // 2) % len(WEST)])
        for name, address, ortsteil, phone in duty:
            rows.append([name, address, ortsteil, phone, day.isoformat(), begin.isoformat(),
                         end.isoformat()])
        day += timedelta(days=1)
        index += 1
    return rows


def main() -> None:
    target = Path(__file__).with_name("apotheken-notdienst.csv")
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["Name", "Adresse", "Ortsteil", "Telefon", "Dienstbeginn",
                         "Notdienst von", "Notdienst bis"])
        writer.writerows(rota())


if __name__ == "__main__":
    main()
