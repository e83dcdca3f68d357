﻿/* A UTF-8 byte order mark, then digraphs for braces and brackets. */
#include <stdio.h>

int digraphs(int *a) <%
    return a<:0:>;
%>

int main(void) <% int a<:1:> = <% 3 %>; return digraphs(a); %>
