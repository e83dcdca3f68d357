”ï»¿#include <stdio.h>
int main(void) { return puts("bom") < 0; }
