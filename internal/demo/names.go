package demo

import "strings"

// People come from many places, as in any large organisation: the lists mix
// languages, and some names carry accents, so that search and sorting meet
// what real data holds.
var firstNames = []string{
	"Aaliyah", "Aaron", "Abdul", "Ada", "Adam", "Adriana", "Ahmed", "Aiko", "Aisha", "Alejandro",
	"Alex", "Alice", "Amara", "Amelia", "Ana", "Andrea", "Andrzej", "Anna", "Anouk", "Arjun",
	"Astrid", "Ayesha", "Beatriz", "Ben", "Bianca", "Björn", "Bruno", "Camille", "Carla", "Carlos",
	"Caroline", "Chen", "Chiara", "Chloe", "Chris", "Claire", "Daniel", "Daniela", "David", "Diego",
	"Dimitri", "Elena", "Eleni", "Élodie", "Emily", "Emma", "Eric", "Esther", "Fatima", "Felix",
	"Fernando", "Fiona", "Francesca", "François", "Gabriel", "Georg", "Grace", "Hana", "Hannah", "Hassan",
	"Helen", "Henrik", "Hiroshi", "Ibrahim", "Ines", "Ingrid", "Isabel", "Ivan", "Jack", "James",
	"Jana", "Javier", "Jean", "Jennifer", "Jin", "Joana", "João", "Johan", "John", "Jonas",
	"Jorge", "José", "Julia", "Julien", "Karin", "Kate", "Kenji", "Khalid", "Laura", "Lea",
	"Leila", "Leon", "Liam", "Lina", "Lucas", "Lucía", "Luis", "Łukasz", "Maja", "Malik",
	"Marco", "Margaret", "Maria", "Marie", "Mark", "Marta", "Martin", "Mateo", "Matthew", "Mei",
	"Michael", "Miguel", "Mohammed", "Nadia", "Naomi", "Nathalie", "Nikolai", "Nina", "Noah", "Nour",
	"Olga", "Oliver", "Omar", "Paolo", "Patrick", "Paul", "Pedro", "Peter", "Priya", "Rafael",
	"Rahul", "Rania", "Rebecca", "Ricardo", "Robert", "Rosa", "Ruth", "Sakura", "Samir", "Samuel",
	"Sara", "Sarah", "Sebastian", "Sofia", "Søren", "Sophie", "Stefan", "Sven", "Tariq", "Thomas",
	"Tomás", "Valentina", "Victor", "Wei", "William", "Yara", "Yusuf", "Zainab", "Zoë", "Zofia",
}

var lastNames = []string{
	"Abbott", "Adeyemi", "Ahmed", "Alvarez", "Andersen", "Anderson", "Bakker", "Bauer", "Becker", "Bianchi",
	"Brown", "Campbell", "Carter", "Castro", "Chen", "Clarke", "Costa", "Cruz", "Dubois", "Dupont",
	"Eriksson", "Evans", "Fernandes", "Fernández", "Fischer", "Fontaine", "García", "Gomez", "González", "Gray",
	"Green", "Hall", "Hansen", "Harris", "Hashemi", "Hernández", "Hoffmann", "Hughes", "Ivanova", "Jackson",
	"Jansen", "Jensen", "Johansson", "Johnson", "Jones", "Kaur", "Khan", "Kim", "King", "Kowalski",
	"Kumar", "Larsen", "Laurent", "Lee", "Lefebvre", "Lewis", "Li", "Lindqvist", "López", "Martin",
	"Martínez", "Meyer", "Miller", "Mitchell", "Moreau", "Morgan", "Müller", "Murphy", "Nakamura", "Nguyen",
	"Nielsen", "Novak", "Nowak", "O'Brien", "Okafor", "Olsen", "Park", "Patel", "Pereira", "Petrov",
	"Popescu", "Price", "Rossi", "Russo", "Santos", "Sato", "Schmidt", "Schneider", "Shah", "Silva",
	"Singh", "Smith", "Sousa", "Suzuki", "Tanaka", "Taylor", "Thompson", "Turner", "van Dijk", "Wagner",
	"Walker", "Wang", "Watson", "Weber", "White", "Williams", "Wilson", "Wójcik", "Wright", "Yamamoto",
	"Yilmaz", "Young", "Zhang", "Zimmermann",
}

// units are the organisational units of a hospital group, the kind of
// account that has tens of thousands of users.
var units = []string{
	"Emergency Department", "Cardiology", "Radiology", "Oncology", "Paediatrics", "Maternity",
	"Neurology", "Orthopaedics", "Intensive Care", "Surgery", "Outpatient Clinic North",
	"Outpatient Clinic South", "Psychiatry", "Geriatrics", "Dermatology", "Ophthalmology",
	"Physiotherapy", "Pharmacy", "Laboratory Services", "Nutrition and Dietetics", "Admissions",
	"Patient Experience", "Research and Education", "Human Resources", "Finance", "IT Services",
	"Facilities", "Procurement", "Legal and Compliance", "Communications",
}

// Email domains are reserved example names (RFC 2606 and RFC 6761), so a
// demo data folder can never email a real person, even with SMTP set up.
var otherDomains = []string{"example.com", "example.org", "example.net", "mail.example"}

// deliveryFailures are replies real SMTP servers give for mail they refuse.
var deliveryFailures = []string{
	"550 5.1.1 Recipient address rejected: User unknown in virtual mailbox table",
	"550 5.1.1 The email account that you tried to reach does not exist",
	"552 5.2.2 Mailbox full: the recipient's mailbox is over its quota",
	"554 5.7.1 Message rejected: identified as spam by content filtering",
	"550 5.7.606 Access denied, banned sending IP",
}

// asciiFold maps the accented letters of the name lists to what people put
// in email addresses.
var asciiFold = strings.NewReplacer(
	"á", "a", "à", "a", "ã", "a", "â", "a", "ä", "a", "å", "a",
	"é", "e", "è", "e", "ê", "e", "ë", "e", "í", "i", "ï", "i",
	"ó", "o", "ô", "o", "õ", "o", "ö", "o", "ø", "o", "ú", "u", "ü", "u",
	"ç", "c", "ñ", "n", "ł", "l", "ś", "s", "ć", "c",
	"Á", "a", "É", "e", "Ł", "l", "Ø", "o", "Ö", "o", "Ü", "u",
	"'", "", " ", "",
)

// emailPart is a name as the local part of an address: lower-case ASCII.
func emailPart(s string) string {
	return strings.ToLower(asciiFold.Replace(s))
}

// domainOf turns the account name into the organisation's mail domain.
func domainOf(account string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(asciiFold.Replace(account)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	d := strings.Trim(b.String(), "-")
	if d == "" {
		d = "staff"
	}
	return d + ".example"
}

// FullNames are the names demo people are given, each first name with each
// last name, for a load generator that searches for them as an
// administrator would.
func FullNames() []string {
	out := make([]string, 0, len(firstNames)*len(lastNames))
	for _, f := range firstNames {
		for _, l := range lastNames {
			out = append(out, f+" "+l)
		}
	}
	return out
}
