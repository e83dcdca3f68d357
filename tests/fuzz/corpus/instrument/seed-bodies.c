o/* Body layouts: GNU statement expressions, nested braces, one-line
 * bodies, empty bodies, comments after '{', Allman and K&R brace styles,
 * tab indentation. */
#define MAX(a, b) ({ __typeof__(a) a_ = (a); __typeof__(b) b_ = (b); a_ > b_ ? a_ : b_; })

int gnu(int x)
{
	int y = ({ int z = x * 2; z + 1; });
	{
		int nested = MAX(x, y);
		y += nested;
	}
	return y;
}

int one_line(void) { return 1; }
int packed(void){return 2;}
void empty(void) {}
void empty_lines(void)
{
}

int comment_after_brace(int x) { // explain
	return x;
}

int block_comment_after(int x) { /* one */ /* two */
	return x;
}

int multi_line_comment(int x) { /* starts here
	ends here */ return x;
}

int code_after_brace(int x) { int y = x;
	return y;
}

int first_line_blank(void)
{

	/* comment first */
	return 0;
}

int nested_fn_gnu(int x)
{
	int inner(int v) { return v * 2; }
	return inner(x);
}
