"""The REMBI description as data: one declaration drives validation, the editor, the read-only
view, flatten() and the JSON Schema, so a field is described exactly once.

Every scalar value is a string, except `flag` fields (true or false); `lines`, `keywords` and
`choices` fields are lists of strings; repeated sections are lists of objects. Keyed sections
(biosamples, specimens, acquisitions) give each item a `key` that study components refer to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Kinds of scalar field and what they hold.
TEXT_KINDS = frozenset(
    {"text", "textarea", "email", "url", "date", "orcid", "doi", "pmid", "ror", "year"}
    | {"licence", "fbbi", "fbbi_name", "taxon", "organism_name", "ref", "key", "role"}
)
LIST_KINDS = frozenset({"lines", "keywords", "choices"})
FLAG_KIND = "flag"  # a yes/no box, stored as true or false


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"
    required: bool = False
    max_length: int = 500
    min_length: int = 0
    max_items: int = 100  # for list kinds
    help: str = ""
    ref: str = ""  # kind "ref": the keyed section it points at
    choices: tuple[tuple[str, str], ...] = ()

    @property
    def is_list(self) -> bool:
        return self.kind in LIST_KINDS


@dataclass(frozen=True)
class Group:
    name: str
    label: str
    children: tuple[Field | Group, ...]
    many: bool = False
    min_items: int = 0  # needed to submit
    max_items: int = 1
    optional: bool = False  # a single group that may be left out entirely
    keyed: bool = False
    item_label: str = ""
    help: str = ""
    limit_help: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def child(self, name: str) -> Field | Group:
        for node in self.children:
            if node.name == name:
                return node
        raise KeyError(name)


MIFA_TYPES: tuple[tuple[str, str], ...] = (
    ("class_labels", "Class labels"),
    ("bounding_boxes", "Bounding boxes"),
    ("counts", "Counts"),
    ("derived_annotations", "Derived annotations"),
    ("geometrical_annotations", "Geometrical annotations"),
    ("graphs", "Graphs"),
    ("point_annotations", "Point annotations"),
    ("segmentation_mask", "Segmentation masks"),
    ("tracks", "Tracks"),
    ("weak_annotations", "Weak annotations"),
    ("other", "Other"),
)

LONG = 20_000  # protocols and descriptions: generous, but a 1 MB paste is refused
MAX_AUTHORS = 500

AUTHORS = Group(
    "authors",
    "Authors",
    many=True,
    min_items=1,
    max_items=MAX_AUTHORS,
    item_label="Author",
    help=(
        "Everyone who should be credited. Mark at least one author with an e-mail address as "
        "the contact: only contacts' e-mail addresses are published."
    ),
    limit_help=(
        f"A study lists at most {MAX_AUTHORS} authors. For a larger consortium, add the "
        "consortium as one author and link to its member list."
    ),
    children=(
        Field("name", "Full name", required=True, max_length=200),
        Field("email", "E-mail", kind="email", max_length=254),
        Field(
            "contact",
            "Contact for this dataset",
            kind=FLAG_KIND,
            help="Publish this author's e-mail address on the dataset's page, for questions.",
        ),
        Field("role", "Role", kind="role", max_length=100, help="e.g. corresponding author"),
        Field(
            "orcid",
            "ORCID iD",
            kind="orcid",
            max_length=60,
            help="16 digits, e.g. 0000-0002-1825-0097",
        ),
        Group(
            "affiliation",
            "Affiliation",
            children=(
                Field("name", "Organisation", required=True, max_length=300),
                Field(
                    "ror",
                    "ROR id",
                    kind="ror",
                    max_length=60,
                    help="Optional, e.g. https://ror.org/02catss52",
                ),
            ),
        ),
    ),
)

STUDY = Group(
    "study",
    "Study",
    children=(
        Field("title", "Title", required=True, min_length=25, max_length=300),
        Field(
            "description",
            "Description",
            kind="textarea",
            required=True,
            min_length=25,
            max_length=LONG,
            help="What the dataset shows and why it was made (at least 25 characters).",
        ),
        Field(
            "keywords",
            "Keywords",
            kind="keywords",
            required=True,
            max_length=100,
            max_items=50,
            help="Separate keywords with commas.",
        ),
        Field("licence", "Licence", kind="licence", required=True),
        Field(
            "release_date",
            "Release date",
            kind="date",
            required=True,
            help="The dataset stays private (embargoed) until this day.",
        ),
        AUTHORS,
        Field("funding_statement", "Funding statement", kind="textarea", max_length=5_000),
        Group(
            "grants",
            "Grants",
            many=True,
            max_items=100,
            item_label="Grant",
            children=(
                Field("funder", "Funder", required=True, max_length=300),
                Field("grant_id", "Grant id", required=True, max_length=200),
            ),
        ),
        Group(
            "publications",
            "Related publications",
            many=True,
            max_items=100,
            item_label="Publication",
            help="Each needs a title and a DOI or a PubMed id.",
            children=(
                Field("title", "Title", required=True, max_length=1_000),
                Field("authors", "Authors", max_length=5_000),
                Field(
                    "doi", "DOI", kind="doi", max_length=300, help="e.g. 10.1038/s41592-021-01166-8"
                ),
                Field("pubmed_id", "PubMed id", kind="pmid", max_length=20),
                Field("year", "Year", kind="year", max_length=4),
            ),
        ),
        Group(
            "links",
            "Links",
            many=True,
            max_items=100,
            item_label="Link",
            children=(
                Field("url", "URL", kind="url", required=True, max_length=2_000),
                Field("description", "Description", max_length=500),
            ),
        ),
        Field("acknowledgements", "Acknowledgements", kind="textarea", max_length=5_000),
    ),
)

VARIABLE_HELP = "One per line."
BIOSAMPLES = Group(
    "biosamples",
    "Biosamples",
    many=True,
    min_items=1,
    max_items=100,
    keyed=True,
    item_label="Biosample",
    help="What was imaged: the organism and the biological entity.",
    children=(
        Field("title", "Title", required=True, max_length=200),
        Group(
            "organism",
            "Organism",
            children=(
                Field(
                    "scientific_name",
                    "Scientific name",
                    kind="organism_name",
                    required=True,
                    max_length=200,
                ),
                Field(
                    "taxon_id",
                    "NCBI Taxonomy id",
                    kind="taxon",
                    required=True,
                    max_length=30,
                    help="Filled in for listed organisms; type any NCBI Taxonomy id otherwise.",
                ),
                Field("common_name", "Common name", max_length=200),
            ),
        ),
        Field(
            "biological_entity",
            "Biological entity",
            required=True,
            max_length=500,
            help="e.g. HeLa cells, embryonic heart, organoid",
        ),
        Field("description", "Description", kind="textarea", max_length=LONG),
        Field("intrinsic_variables", "Intrinsic variables", kind="lines", help=VARIABLE_HELP),
        Field("extrinsic_variables", "Extrinsic variables", kind="lines", help=VARIABLE_HELP),
        Field("experimental_variables", "Experimental variables", kind="lines", help=VARIABLE_HELP),
    ),
)

SPECIMENS = Group(
    "specimens",
    "Specimens",
    many=True,
    min_items=1,
    max_items=100,
    keyed=True,
    item_label="Specimen",
    help="How the biosample was prepared for imaging.",
    children=(
        Field("title", "Title", required=True, max_length=200),
        Field(
            "sample_preparation",
            "Sample preparation protocol",
            kind="textarea",
            required=True,
            max_length=LONG,
        ),
        Field("growth_protocol", "Growth protocol", kind="textarea", max_length=LONG),
    ),
)

ACQUISITIONS = Group(
    "acquisitions",
    "Image acquisitions",
    many=True,
    min_items=1,
    max_items=100,
    keyed=True,
    item_label="Image acquisition",
    help="How the images were taken.",
    children=(
        Field("title", "Title", required=True, max_length=200),
        Group(
            "imaging_method",
            "Imaging method",
            children=(
                Field(
                    "name", "Imaging method (FBbi)", kind="fbbi_name", required=True, max_length=300
                ),
                Field("id", "FBbi id", kind="fbbi", required=True, max_length=80),
            ),
        ),
        Field("instrument", "Imaging instrument", kind="textarea", required=True, max_length=LONG),
        Field(
            "parameters",
            "Acquisition parameters",
            kind="textarea",
            required=True,
            max_length=LONG,
        ),
    ),
)

COMPONENTS = Group(
    "components",
    "Study components",
    many=True,
    min_items=1,
    max_items=50,
    item_label="Study component",
    help="A set of images made the same way: it links a biosample, a specimen and an acquisition.",
    children=(
        Field("name", "Name", required=True, max_length=200),
        Field("description", "Description", kind="textarea", required=True, max_length=LONG),
        Field("biosample", "Biosample", kind="ref", ref="biosamples", required=True),
        Field("specimen", "Specimen", kind="ref", ref="specimens", required=True),
        Field("acquisition", "Image acquisition", kind="ref", ref="acquisitions", required=True),
        Field(
            "files",
            "Files (patterns)",
            kind="lines",
            max_length=500,
            max_items=200,
            help="One file name or pattern per line (e.g. raw/*.tif). Leave empty for every "
            "file not claimed by another component.",
        ),
    ),
)

CORRELATION = Group(
    "correlation",
    "Image correlation",
    optional=True,
    help="Only if images from different methods were aligned.",
    children=(
        Field(
            "spatial_and_temporal_alignment",
            "Spatial and temporal alignment",
            kind="textarea",
            required=True,
            max_length=LONG,
        ),
        Field("fiducials_used", "Fiducials used", kind="textarea", max_length=LONG),
        Field("transformation_matrix", "Transformation matrix", kind="textarea", max_length=LONG),
    ),
)

ANALYSIS = Group(
    "analysis",
    "Analysed data",
    optional=True,
    help="Only if the dataset includes analysis results.",
    children=(
        Field("overview", "Analysis overview", kind="textarea", required=True, max_length=LONG),
    ),
)

ANNOTATIONS = Group(
    "annotations",
    "Annotations (MIFA)",
    optional=True,
    help="Only if the dataset holds annotations, e.g. segmentation masks or labels.",
    children=(
        Field("overview", "Annotation overview", kind="textarea", required=True, max_length=LONG),
        Field("method", "Annotation method", kind="textarea", required=True, max_length=LONG),
        Field("types", "Annotation types", kind="choices", required=True, choices=MIFA_TYPES),
        Field("criteria", "Annotation criteria", kind="textarea", max_length=LONG),
        Field("coverage", "Annotation coverage", kind="textarea", max_length=LONG),
        Group(
            "files",
            "Annotation files",
            many=True,
            max_items=10_000,
            item_label="Annotation file",
            help="Which image each annotation file annotates.",
            children=(
                Field("file", "Annotation file", required=True, max_length=500),
                Field("source_image", "Source image", required=True, max_length=500),
            ),
        ),
    ),
)

REMBI = Group(
    "",
    "REMBI description",
    children=(
        STUDY,
        BIOSAMPLES,
        SPECIMENS,
        ACQUISITIONS,
        COMPONENTS,
        CORRELATION,
        ANALYSIS,
        ANNOTATIONS,
    ),
)

KEY_FIELD = Field("key", "Key", kind="key", max_length=40)


def item_children(group: Group) -> tuple[Field | Group, ...]:
    """The fields of one item of `group`, with the hidden `key` first for keyed sections."""
    return ((KEY_FIELD, *group.children)) if group.keyed else group.children


def singular(group: Group) -> str:
    return group.name[:-1] if group.name.endswith("s") else group.name
