"""Each role lands where its work is: "/" shows an owner งานของฉัน, a manager (ปลัด, นายก,
a department's head) what needs them, an organization's admin the health of its plans."""
