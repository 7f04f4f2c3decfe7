"""湖州 社会治理风险闭环管控 (Huzhou closed-loop social-governance risk control): a risk-indicator library graded
red / orange / yellow / blue for every town and street, warning task lists handled through the platform's closed
loop, the wage-arrears warning, the enterprise safety code, and the cockpit."""
