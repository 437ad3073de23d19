"""Realistic lecture transcripts (written for these tests) with the fillers and restarts of real speech."""

from __future__ import annotations

from pipeline.ai.schemas import LectureInput, SlideInput

MEDICAL_COLUMNS = ["Disease", "Etiology / risk factors", "Pathophysiology", "Clinical presentation", "Diagnosis",
                   "Treatment", "Buzzwords / high-yield"]

BIOLOGY = [
    "Okay, um, good morning everyone. Can you hear me at the back? Great. So today we're gonna talk about "
    "mitochondria and, uh, cellular respiration, which is how the the cell turns glucose into usable energy.",

    "So the mitochondrion is a double membrane organelle. The outer membrane is, you know, fairly permeable, "
    "but the inner membrane is folded into cristae, and the cristae increase the surface area for the electron "
    "transport chain. Mitochondria have their own DNA, um, which is inherited from the mother.",

    "Uh, the first stage is glycolysis. Glycolysis happens in the cytoplasm, not in the mitochondria, and it splits "
    "one glucose molecule into two pyruvate molecules. It makes a net gain of two ATP and two NADH. Glycolysis "
    "doesn't need oxygen, so it, it also runs in anaerobic conditions.",

    "",

    "Next, pyruvate moves into the mitochondrial matrix, where the the Krebs cycle takes place. The Krebs cycle, "
    "also called the citric acid cycle, oxidises acetyl CoA to carbon dioxide. Um, for each turn, the Krebs cycle "
    "produces three NADH, one FADH2 and one ATP. I mean, it's sort of, the hub of metabolism.",

    "Now the electron transport chain is where most of the ATP comes from. The electron transport chain is a "
    "series of protein complexes in the inner membrane. It pumps protons into the intermembrane space, and that "
    "proton gradient drives ATP synthase. Oxygen is the final electron acceptor, and, uh, it's reduced to water. "
    "ATP synthase is an enzyme that makes ATP from ADP and phosphate as protons flow back into the matrix. "
    "This whole process is called oxidative phosphorylation.",

    "Cyanide blocks complex IV of the electron transport chain, so the cell can't use oxygen. Um, without oxygen "
    "as the final electron acceptor, the cell falls back on fermentation. In muscle, fermentation turns pyruvate "
    "into lactate, and lactate builds up during intense exercise.",

    "So, to to sum up, cellular respiration makes about thirty to thirty-two ATP per glucose. Glycolysis makes two, "
    "the Krebs cycle makes two, and oxidative phosphorylation makes the rest. Any questions? Okay, see you next week.",
]

MEDICINE = [
    "Alright, so, um, today's topic is anemia. Anemia is a reduced hemoglobin concentration or red cell mass. "
    "We classify anemia by the mean corpuscular volume, the MCV, into microcytic, normocytic and macrocytic anemia.",

    "Iron deficiency anemia is the most common cause of microcytic anemia. The main risk factors are chronic blood "
    "loss, like, menstruation or colon cancer in older adults, and poor dietary intake. Patients present with "
    "fatigue, pallor, koilonychia and pica. Iron deficiency anemia is diagnosed by a low ferritin and a high total "
    "iron binding capacity. Treatment is oral iron supplementation, and you always look for the source of bleeding.",

    "Beta thalassemia is caused by mutations in the beta globin gene. It's more common in Mediterranean "
    "populations. The imbalance of globin chains leads to ineffective erythropoiesis and hemolysis. Patients "
    "with beta thalassemia major present with severe anemia in infancy and a chipmunk facies. Diagnosis is by "
    "hemoglobin electrophoresis, which shows increased hemoglobin A2. Treatment is regular blood transfusion with "
    "iron chelation.",

    "Vitamin B12 deficiency causes a megaloblastic macrocytic anemia. Um, the classic cause is pernicious anemia, "
    "an autoimmune destruction of parietal cells, so there's no intrinsic factor. Vitamin B12 deficiency leads to "
    "impaired DNA synthesis in the marrow. Patients present with glossitis, and also subacute combined "
    "degeneration of the spinal cord, so they have neurological signs. Diagnosis is by a low serum B12 and an "
    "elevated methylmalonic acid. Treatment is intramuscular vitamin B12.",

    "Folate deficiency also causes megaloblastic anemia, but, you know, without the neurological signs. The risk "
    "factors are alcoholism, pregnancy and drugs like methotrexate. Methylmalonic acid is normal in folate "
    "deficiency. Treatment is oral folic acid.",

    "Sickle cell disease is caused by a point mutation in the beta globin gene, glutamate to valine. "
    "Deoxygenated hemoglobin S polymerises and the red cells sickle, and the sickled cells block small vessels. "
    "Patients present with painful vaso-occlusive crises and autosplenectomy. Diagnosis is by hemoglobin "
    "electrophoresis. Hydroxyurea is the treatment that increases fetal hemoglobin. Buzzwords: sickle cells and "
    "Howell-Jolly bodies on the smear.",

    "G6PD deficiency is an X-linked disorder. Oxidant stress, for example fava beans or drugs like primaquine, "
    "causes hemolysis in G6PD deficiency. The smear shows Heinz bodies and bite cells. Treatment is to avoid the "
    "triggers.",
]

COMPUTING = [
    "Okay, um, let me just grab my mouse. Right. So today we're going to talk about hash tables, which are, like, "
    "one of the most useful data structures you'll ever use.",

    "A hash table stores key value pairs in an array. A hash function maps each key to an index in the array, "
    "which we call a bucket. A good hash function spreads the keys uniformly across the buckets.",

    "Now, uh, two different keys can map to the same bucket, and that's called a collision. One way to handle "
    "collisions is separate chaining, where each bucket holds a linked list of the entries. The other way is "
    "open addressing, where we we probe for the next free slot in the array. Linear probing checks the next slot, "
    "and quadratic probing jumps further each time.",

    "The load factor is the number of entries divided by the number of buckets. When the load factor gets too "
    "high, say above zero point seven five, we resize the table and rehash every key. Resizing costs linear time, "
    "but, um, amortised over many inserts, each insert is still constant time.",

    "So lookups in a hash table take constant time on average. In the worst case, when every key collides, a "
    "lookup takes linear time. A binary search tree, by comparison, gives logarithmic time lookups and keeps the "
    "keys in sorted order, which a hash table does not.",
]

UNPUNCTUATED = [
    "so today we will look at the heart um the heart is a muscular pump with four chambers and uh the right side "
    "pumps blood to the lungs so we call this the pulmonary circulation now the left side pumps blood to the body "
    "and this is the systemic circulation the left ventricle has the thickest wall because it pumps against the "
    "highest pressure",
    "the cardiac cycle has two phases systole and diastole during systole the ventricles contract and eject blood "
    "so the aortic valve opens now during diastole the ventricles relax and fill with blood so the mitral valve "
    "is open and the heart muscle itself gets its blood supply mainly during diastole",
]


def lecture(texts: list[str], **kw) -> LectureInput:
    """A LectureInput with one 30-second showing per text."""
    slides = [SlideInput(index=i, start=30.0 * i, end=30.0 * (i + 1), text=t) for i, t in enumerate(texts)]
    return LectureInput(slides=slides, **kw)
