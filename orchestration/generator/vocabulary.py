"""Word lists the sample data is spelled from.

Kept apart from the logic so the generator code reads as a model of a sales team, and so
names can change without touching a single probability. All plain ASCII: slugs for e-mail
domains are the lower-cased words joined by hyphens.
"""

from __future__ import annotations

FIRST_NAMES: tuple[str, ...] = tuple(
    (
        "Anna Ben Carla David Elena Felix Grace Hugo Ines Jonas Karin Lukas Maria Noah Olivia "
        "Paul Quinn Rosa Samuel Tara Ulrich Vera William Xenia Yusuf Zoe Adrian Bianca Chris "
        "Daniela Emil Fatima Georg Hannah Ivan Julia Kevin Laura Martin Nina Oscar Petra Rafael "
        "Sofia Thomas Ursula Viktor Wendy Amir Beatrice Carlos Diana Erik Freya Gabriel Helen "
        "Isaac Jana Kai Lena Marco Nora Omar Priya Robert Sara Tobias Uma Valentin Yara Aiko "
        "Bruno Chloe Dario Eva Frank Gloria Henrik Ida Jakob"
    ).split()
)

LAST_NAMES: tuple[str, ...] = tuple(
    (
        "Smith Mueller Garcia Rossi Dubois Novak Jensen Silva Kowalski Brown Schmidt Martin "
        "Lopez Bianchi Laurent Horvat Nielsen Santos Nowak Taylor Schneider Bernard Fernandez "
        "Romano Moreau Kovac Hansen Pereira Wisniewski Wilson Fischer Thomas Gonzalez Colombo "
        "Lefevre Varga Andersen Costa Wojcik Evans Weber Petit Rodriguez Ricci Girard Toth "
        "Pedersen Oliveira Kaminski Walker Meyer Robert Sanchez Marino Mercier Nagy Larsen "
        "Sousa Lewandowski Wright Wagner Richard Ramirez Greco Fontaine Szabo Olsen Martins "
        "Zielinski Hughes Becker Durand Torres Bruno Chevalier Kiss Berg Ferreira Szymanski "
        "Clarke Hoffmann Leroy Flores Gallo Lambert Molnar Lund Carvalho Mazur Scott Koch "
        "Moreno Conti Roux Farkas Holm Rocha Krawczyk Green"
    ).split()
)

COMPANY_WORDS_1: tuple[str, ...] = tuple(
    (
        "Alpine Blue Bright Cedar Coastal Crystal Delta Eastern Evergreen First Golden Granite "
        "Harbor Highland Iron Lakeside Liberty Maple Meridian Metro Northern Nova Oak Pacific "
        "Peak Pioneer Prime Quantum Red River Royal Silver Southern Sterling Summit Sun Swift "
        "Union United Vertex Western Wild Apex Atlas Beacon Cobalt Falcon Horizon Keystone "
        "Orion"
    ).split()
)

COMPANY_WORDS_2: tuple[str, ...] = tuple(
    (
        "Analytics Bakery Bank Biotech Builders Cargo Chemicals Clinics Construction Consulting "
        "Dairy Devices Dynamics Electric Energy Engineering Fabrics Farms Foods Freight "
        "Furniture Glass Health Hotels Insurance Labs Logistics Machines Media Metals Mining "
        "Motors Networks Optics Packaging Paper Pharma Plastics Power Printing Retail Robotics "
        "Shipping Software Steel Systems Telecom Textiles Tools Travel"
    ).split()
)

COMPANY_SUFFIXES: tuple[str, ...] = tuple(
    ("Inc Ltd GmbH AG SA BV Group Holdings Corp LLC Partners plc").split()
)

JOB_TITLES: tuple[str, ...] = (
    "Chief Executive Officer",
    "Chief Financial Officer",
    "Chief Technology Officer",
    "Head of Procurement",
    "IT Director",
    "Operations Manager",
    "Purchasing Manager",
    "VP Operations",
    "Finance Manager",
    "Project Manager",
    "Software Engineer",
    "Marketing Director",
    "Office Manager",
    "Buyer",
    "Head of IT",
    "Logistics Manager",
    "Plant Manager",
    "Controller",
    "Data Analyst",
    "HR Director",
    "Sales Director",
    "Product Manager",
    "Legal Counsel",
    "Facilities Manager",
    "Managing Director",
)

PRODUCTS: tuple[str, ...] = (
    "CRM rollout",
    "Renewal",
    "Expansion",
    "Support plan",
    "Pilot",
    "Analytics add-on",
    "Enterprise licences",
    "Training package",
    "Integration project",
    "Cloud migration",
    "Managed service",
    "Hardware refresh",
    "Consulting days",
    "Upgrade",
    "Security audit",
    "Mobile app",
    "Data platform",
    "Field service",
    "Partner program",
    "Onboarding",
)

FREE_MAIL_DOMAINS: tuple[str, ...] = (
    "gmail.example.net",
    "outlook.example.net",
    "yahoo.example.net",
    "proton.example.net",
    "agency-partners.example.org",
    "consultants.example.org",
)

TEAM_DOMAIN = "salesteam.example.com"
MESSAGE_ID_DOMAIN = "mail.example.com"

# Subject templates per context kind (opportunity, lead, contact, account, none). The
# regarding record's display name is appended; kind "none" has no name, so its templates
# are complete subjects.
EMAIL_SUBJECTS: tuple[tuple[str, ...], ...] = (
    (
        "Proposal for ",
        "Pricing for ",
        "Next steps: ",
        "Contract draft - ",
        "Demo follow-up - ",
        "Question about the offer, ",
        "Meeting recap: ",
        "Quote for ",
        "Revised proposal for ",
        "Implementation timeline - ",
    ),
    ("Introduction - ", "Your inquiry, ", "Getting to know ", "Information requested by "),
    ("Catch-up with ", "Quick question for ", "Following up, ", "Thank you, "),
    ("Quarterly review - ", "Account update: ", "Invoice question - ", "Renewal notice - "),
    (
        "Industry event invitation",
        "Webinar: customer success stories",
        "Product newsletter",
        "Holiday opening hours",
        "Survey: how are we doing?",
    ),
)

APPOINTMENT_SUBJECTS: tuple[tuple[str, ...], ...] = (
    ("Meeting: ", "Demo for ", "Discovery session - ", "Workshop with ", "Negotiation - "),
    ("Intro meeting - ", "Qualification call - "),
    ("Lunch with ", "Coffee with ", "Check-in with "),
    ("Quarterly business review - ", "Account planning - ", "Executive briefing - "),
    ("Trade fair meeting", "Conference networking", "Customer advisory board"),
)

PHONECALL_SUBJECTS: tuple[tuple[str, ...], ...] = (
    ("Call with ", "Follow-up call: ", "Pricing call - ", "Call back "),
    ("Qualification call - ", "Intro call - "),
    ("Call with ", "Check-in call - "),
    ("Account call - ", "Support escalation - "),
    ("Cold call", "Inbound call", "Voicemail follow-up"),
)

CONNECTION_ROLES: tuple[tuple[str, int], ...] = (
    ("Decision Maker", 1000),
    ("Influencer", 1000),
    ("Stakeholder", 1000),
    ("Economic Buyer", 1000),
    ("Sales Team Member", 1001),
    ("Technical Sales", 1001),
)
